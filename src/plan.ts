/**
 * The plan is data: which steps a request needs and what each waits for. Computed by pure code,
 * printed before the run, executed by the engine.
 *
 * Reads come first and run side by side; no write starts before every read has validated the request,
 * so a request naming a missing project, resource group or role writes nothing. The critical path is
 * identity → connection → federated credential; the role assignment runs beside the connection.
 * An app registration has the same shape: application → connection → federated credential, with the
 * service principal and its role assignment beside the connection.
 */
import type { AppRegistrationRequest, ManagedIdentityRequest, ProvisioningRequest } from './request';

export type StepId =
  | 'project'
  | 'subscription'
  | 'roleDefinition'
  | 'identityResourceGroup'
  | 'scopeResourceGroup'
  | 'existingIdentity'
  | 'existingConnection'
  | 'existingApplication'
  | 'identity'
  | 'application'
  | 'servicePrincipal'
  | 'roleAssignment'
  | 'connection'
  | 'federatedCredential';

export interface Step {
  id: StepId;
  needs: readonly StepId[];
  writes: boolean;
  /** What the step does, with names and scopes, for the log. */
  summary: string;
}

const READS: readonly StepId[] = [
  'project',
  'subscription',
  'roleDefinition',
  'identityResourceGroup',
  'scopeResourceGroup',
  'existingIdentity',
  'existingConnection',
];

export function planFor(request: ProvisioningRequest): Step[] {
  return request.identityType === 'appRegistration' ? appRegistrationPlan(request) : managedIdentityPlan(request);
}

function managedIdentityPlan(request: ManagedIdentityRequest): Step[] {
  const { azure, identity, devops, connectionName } = request;
  const read = (id: StepId, summary: string): Step => ({ id, needs: [], writes: false, summary });
  const write = (id: StepId, needs: StepId[], summary: string): Step => ({ id, needs, writes: true, summary });
  const allReads = READS.filter((id) => id !== 'scopeResourceGroup' || azure.resourceGroup);
  const identityRef = `managed identity '${identity.name}' in resource group '${identity.resourceGroup}'`;
  return [
    read('project', `read project '${devops.project}' in ${devops.organizationUrl}`),
    read('subscription', `read subscription ${azure.subscriptionId}`),
    read('roleDefinition', `find role '${azure.roleDefinitionName}' at ${azure.scope}`),
    read('identityResourceGroup', `read resource group '${identity.resourceGroup}'`),
    ...(azure.resourceGroup ? [read('scopeResourceGroup', `read resource group '${azure.resourceGroup}'`)] : []),
    read('existingIdentity', `look for ${identityRef}`),
    read('existingConnection', `look for service connection '${connectionName}' in project '${devops.project}'`),
    write('identity', allReads, `ensure ${identityRef}`),
    write('roleAssignment', ['identity'], `ensure role '${azure.roleDefinitionName}' for the identity at ${azure.scope}`),
    write('connection', ['identity'], `ensure service connection '${connectionName}' (workload identity federation)`),
    write('federatedCredential', ['identity', 'connection'], `ensure the identity trusts the connection's issuer and subject`),
  ];
}

function appRegistrationPlan(request: AppRegistrationRequest): Step[] {
  const { azure, application, devops, connectionName } = request;
  const read = (id: StepId, summary: string, needs: StepId[] = []): Step => ({ id, needs, writes: false, summary });
  const write = (id: StepId, needs: StepId[], summary: string): Step => ({ id, needs, writes: true, summary });
  const reads: Step[] = [
    read('project', `read project '${devops.project}' in ${devops.organizationUrl}`),
    read('subscription', `read subscription ${azure.subscriptionId}`),
    read('roleDefinition', `find role '${azure.roleDefinitionName}' at ${azure.scope}`),
    ...(azure.resourceGroup ? [read('scopeResourceGroup', `read resource group '${azure.resourceGroup}'`)] : []),
    read('existingConnection', `look for service connection '${connectionName}' in project '${devops.project}'`),
    // Its uniqueName is made from the project's id, which the project read supplies.
    read('existingApplication', `look for the application of connection '${connectionName}'`, ['project']),
  ];
  return [
    ...reads,
    write('application', reads.map((s) => s.id), `ensure application '${application.displayName}' (single tenant)`),
    write('servicePrincipal', ['application'], `ensure the service principal of application '${application.displayName}'`),
    write('roleAssignment', ['servicePrincipal'], `ensure role '${azure.roleDefinitionName}' for the service principal at ${azure.scope}`),
    write('connection', ['application'], `ensure service connection '${connectionName}' (workload identity federation)`),
    write('federatedCredential', ['application', 'connection'], `ensure the application trusts the connection's issuer and subject`),
  ];
}

/** Dependency levels: steps in one level run at the same time. */
export function levels(plan: readonly Step[]): Step[][] {
  const depth = new Map<StepId, number>();
  const depthOf = (step: Step): number => {
    const known = depth.get(step.id);
    if (known !== undefined) return known;
    const needs = step.needs.map((id) => plan.find((s) => s.id === id)!);
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map(depthOf));
    depth.set(step.id, d);
    return d;
  };
  const result: Step[][] = [];
  for (const step of plan) (result[depthOf(step)] ??= []).push(step);
  return result;
}
