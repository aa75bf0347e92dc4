/**
 * The plan is data: which steps a request needs and what each waits for. Computed by pure code,
 * printed before the run, executed by the engine.
 *
 * Reads come first and run side by side; no write starts before every read has validated the request,
 * so a request naming a missing project, resource group or role writes nothing. The critical path is
 * identity → connection → federated credential; the role assignment runs beside the connection.
 */
import { describePipeline, type ProvisioningRequest } from './request';

export type StepId =
  | 'project'
  | 'subscription'
  | 'roleDefinition'
  | 'identityResourceGroup'
  | 'scopeResourceGroup'
  | 'existingIdentity'
  | 'existingConnection'
  | 'sharedProjects'
  | 'pipelines'
  | 'identity'
  | 'roleAssignment'
  | 'connection'
  | 'federatedCredential'
  | 'pipelinePermissions'
  | 'sharing';

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
  'sharedProjects',
  'pipelines',
];

export function planFor(request: ProvisioningRequest): Step[] {
  const { azure, identity, devops, connectionName } = request;
  const read = (id: StepId, summary: string, needs: StepId[] = []): Step => ({ id, needs, writes: false, summary });
  const write = (id: StepId, needs: StepId[], summary: string): Step => ({ id, needs, writes: true, summary });
  const sharing = devops.shareWithProjects;
  const pipelines = devops.authorizePipelines;
  const authorizes = devops.authorizeAllPipelines || pipelines.length > 0;
  // Steps the request does not ask for.
  const unasked = new Set<StepId>([
    ...(azure.resourceGroup ? [] : (['scopeResourceGroup'] as const)),
    ...(sharing.length > 0 ? [] : (['sharedProjects', 'sharing'] as const)),
    ...(pipelines.length > 0 ? [] : (['pipelines'] as const)),
    ...(authorizes ? [] : (['pipelinePermissions'] as const)),
  ]);
  const wanted = (id: StepId): boolean => !unasked.has(id);
  const allReads = READS.filter(wanted);
  const identityRef = `managed identity '${identity.name}' in resource group '${identity.resourceGroup}'`;
  const quoted = (names: string[]): string => names.map((name) => `'${name}'`).join(', ');
  const granted = [
    ...(devops.authorizeAllPipelines ? [`all pipelines of project '${devops.project}'`] : []),
    ...(pipelines.length > 0 ? [`pipelines ${pipelines.map(describePipeline).join(', ')}`] : []),
  ].join(' and ');
  return [
    read('project', `read project '${devops.project}' in ${devops.organizationUrl}`),
    read('subscription', `read subscription ${azure.subscriptionId}`),
    read('roleDefinition', `find role '${azure.roleDefinitionName}' at ${azure.scope}`),
    read('identityResourceGroup', `read resource group '${identity.resourceGroup}'`),
    read('scopeResourceGroup', `read resource group '${azure.resourceGroup}'`),
    read('existingIdentity', `look for ${identityRef}`),
    // After the project: a project created a moment earlier answers project-level routes only once it is wellFormed.
    read('existingConnection', `look for service connection '${connectionName}' in project '${devops.project}'`, ['project']),
    read('sharedProjects', `read projects ${quoted(sharing)} to share the connection with`),
    read('pipelines', `find pipelines ${pipelines.map(describePipeline).join(', ')} in project '${devops.project}'`, ['project']),
    write('identity', allReads, `ensure ${identityRef}`),
    write('roleAssignment', ['identity'], `ensure role '${azure.roleDefinitionName}' for the identity at ${azure.scope}`),
    write('connection', ['identity'], `ensure service connection '${connectionName}' (workload identity federation)`),
    write('federatedCredential', ['identity', 'connection'], `ensure the identity trusts the connection's issuer and subject`),
    write('pipelinePermissions', pipelines.length > 0 ? ['connection', 'pipelines'] : ['connection'], `ensure pipeline permissions on the connection: ${granted}`),
    write('sharing', ['connection', 'sharedProjects'], `ensure the connection is shared with projects ${quoted(sharing)}`),
  ].filter((step) => wanted(step.id));
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
