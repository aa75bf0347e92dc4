/**
 * The plan is data: which steps a request needs and what each waits for. Computed by pure code,
 * printed before the run, executed by the engine.
 *
 * Reads come first and run side by side; no write starts before every read has validated the request,
 * so a request naming a missing project, resource group, management group or role writes nothing. The
 * critical path is identity → connection → federated credential; the role assignments (the main one and
 * one per roleAssignments line) run beside the connection.
 */
import type { ProvisioningRequest } from './request';

export type StepId =
  | 'project'
  | 'subscription'
  | 'managementGroup'
  | 'roleDefinition'
  | `roleDefinition:${number}`
  | 'identityResourceGroup'
  | 'scopeResourceGroup'
  | 'existingIdentity'
  | 'existingConnection'
  | 'identity'
  | 'roleAssignment'
  | `roleAssignment:${number}`
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
  'managementGroup',
  'roleDefinition',
  'identityResourceGroup',
  'scopeResourceGroup',
  'existingIdentity',
  'existingConnection',
];

export function planFor(request: ProvisioningRequest): Step[] {
  const { azure, identity, devops, connectionName } = request;
  const read = (id: StepId, summary: string): Step => ({ id, needs: [], writes: false, summary });
  const write = (id: StepId, needs: StepId[], summary: string): Step => ({ id, needs, writes: true, summary });
  const grants = azure.additionalRoles.map((grant, index) => ({ ...grant, n: index + 1 }));
  const allReads: StepId[] = [
    ...READS.filter((id) => (id !== 'scopeResourceGroup' || azure.resourceGroup) && (id !== 'managementGroup' || azure.managementGroup)),
    ...grants.map(({ n }): StepId => `roleDefinition:${n}`),
  ];
  const identityRef = `managed identity '${identity.name}' in resource group '${identity.resourceGroup}'`;
  return [
    read('project', `read project '${devops.project}' in ${devops.organizationUrl}`),
    read('subscription', `read subscription ${azure.subscriptionId}`),
    ...(azure.managementGroup ? [read('managementGroup', `read management group '${azure.managementGroup.id}'`)] : []),
    read('roleDefinition', `find role '${azure.roleDefinitionName}' at ${azure.scope}`),
    ...grants.map(({ n, role, scope }) => read(`roleDefinition:${n}`, `find role '${role}' at ${scope}`)),
    read('identityResourceGroup', `read resource group '${identity.resourceGroup}'`),
    ...(azure.resourceGroup ? [read('scopeResourceGroup', `read resource group '${azure.resourceGroup}'`)] : []),
    read('existingIdentity', `look for ${identityRef}`),
    read('existingConnection', `look for service connection '${connectionName}' in project '${devops.project}'`),
    write('identity', allReads, `ensure ${identityRef}`),
    write('roleAssignment', ['identity'], `ensure role '${azure.roleDefinitionName}' for the identity at ${azure.scope}`),
    ...grants.map(({ n, role, scope }) => write(`roleAssignment:${n}`, ['identity'], `ensure role '${role}' for the identity at ${scope}`)),
    write('connection', ['identity'], `ensure service connection '${connectionName}' (workload identity federation)`),
    write('federatedCredential', ['identity', 'connection'], `ensure the identity trusts the connection's issuer and subject`),
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
