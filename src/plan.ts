/**
 * The plan is data: which steps a request needs and what each waits for. Computed by pure code,
 * printed before the run, executed by the engine.
 *
 * Reads come first and run side by side; no write starts before every read has validated the request,
 * so a request naming a missing project, resource group, management group or role writes nothing. The
 * permission preflight is among those reads (what the bootstrap identity may do at the scopes this run
 * writes at, what the Azure DevOps identity may do with service connections), so a run that would stop
 * half-way for a missing permission stops before its first write instead. The critical path is identity → connection → federated credential; the role assignments (the main one and
 * one per roleAssignments line) run beside the connection. An app registration has the same shape:
 * application → connection → federated credential, with the service principal and its role assignments
 * beside the connection.
 */
import { describePipeline, type ManagedIdentityRequest, type ProvisioningRequest } from './request';

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
  | 'existingApplication'
  | 'sharedProjects'
  | 'pipelines'
  | 'identityLocation'
  | 'azurePermissions'
  | 'devopsPermissions'
  | 'identity'
  | 'application'
  | 'servicePrincipal'
  | 'roleAssignment'
  | `roleAssignment:${number}`
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

export function planFor(request: ProvisioningRequest): Step[] {
  const { azure, devops, connectionName } = request;
  const read = (id: StepId, summary: string, needs: StepId[] = []): Step => ({ id, needs, writes: false, summary });
  const write = (id: StepId, needs: StepId[], summary: string): Step => ({ id, needs, writes: true, summary });
  const sharing = devops.shareWithProjects;
  const pipelines = devops.authorizePipelines;
  const quoted = (names: string[]): string => names.map((name) => `'${name}'`).join(', ');
  const granted = [
    ...(devops.authorizeAllPipelines ? [`all pipelines of project '${devops.project}'`] : []),
    ...(pipelines.length > 0 ? [`pipelines ${pipelines.map(describePipeline).join(', ')}`] : []),
  ].join(' and ');
  const grants = azure.additionalRoles.map((grant, index) => ({ ...grant, n: index + 1 }));

  const reads: Step[] = [
    read('project', `read project '${devops.project}' in ${devops.organizationUrl}`),
    read('subscription', `read subscription ${azure.subscriptionId}`),
    ...(azure.managementGroup ? [read('managementGroup', `read management group '${azure.managementGroup.id}'`)] : []),
    // The scopes before the roles looked up at them: when both fail, the missing scope is what is reported.
    ...(azure.resourceGroup ? [read('scopeResourceGroup', `read resource group '${azure.resourceGroup}'`)] : []),
    read('roleDefinition', `find role '${azure.roleDefinitionName}' at ${azure.scope}`),
    ...grants.map(({ n, role, scope }) => read(`roleDefinition:${n}`, `find role '${role}' at ${scope}`)),
    // After the project: a project created a moment earlier answers project-level routes only once it is wellFormed.
    read('existingConnection', `look for service connection '${connectionName}' in project '${devops.project}'`, ['project']),
    ...(sharing.length > 0 ? [read('sharedProjects', `read projects ${quoted(sharing)} to share the connection with`)] : []),
    ...(pipelines.length > 0
      ? [read('pipelines', `find pipelines ${pipelines.map(describePipeline).join(', ')} in project '${devops.project}'`, ['project'])]
      : []),
  ];
  // The identity behind the connection: the step that makes it (the anchor of the critical path) and the
  // step that yields the principal the role is granted to.
  let anchor: StepId;
  let principal: StepId;
  let identitySteps: (needs: StepId[]) => Step[];
  let holder: string;
  if (request.identityType === 'appRegistration') {
    const { application } = request;
    // Its uniqueName is made from the project's id, which the project read supplies.
    reads.push(read('existingApplication', `look for the application of connection '${connectionName}'`, ['project']));
    [anchor, principal] = ['application', 'servicePrincipal'];
    holder = `application '${application.displayName}'`;
    identitySteps = (needs) => [
      write('application', needs, `ensure application '${application.displayName}' (single tenant)`),
      write('servicePrincipal', ['application'], `ensure the service principal of application '${application.displayName}'`),
    ];
  } else {
    const { identity } = request;
    const identityRef = `managed identity '${identity.name}' in resource group '${identity.resourceGroup}'`;
    reads.push(
      read('identityResourceGroup', `read resource group '${identity.resourceGroup}'`),
      read('existingIdentity', `look for ${identityRef}`),
      ...(identity.location ? [read('identityLocation', `check that region '${identity.location}' offers user-assigned managed identities`)] : []),
    );
    [anchor, principal] = ['identity', 'identity'];
    holder = `managed identity '${identity.name}'`;
    identitySteps = (needs) => [write('identity', needs, `ensure ${identityRef}`)];
  }
  reads.push(
    read('azurePermissions', `check the bootstrap identity's permissions at ${armWriteScopes(request).join(', ')}`),
    // Beside the connection lookup: the check on an existing connection follows that lookup inside the step,
    // so a first run (no connection yet) waits for nothing more.
    read('devopsPermissions', `check the permissions on service connections in project '${devops.project}'`, ['project']),
  );
  const grantee = principal === 'identity' ? 'the identity' : 'the service principal';
  return [
    ...reads,
    ...identitySteps(reads.map((s) => s.id)),
    write('roleAssignment', [principal], `ensure role '${azure.roleDefinitionName}' for ${grantee} at ${azure.scope}`),
    ...grants.map(({ n, role, scope }) => write(`roleAssignment:${n}`, [principal], `ensure role '${role}' for ${grantee} at ${scope}`)),
    write('connection', [anchor], `ensure service connection '${connectionName}' (workload identity federation)`),
    write('federatedCredential', [anchor, 'connection'], `ensure federated credential on ${holder} for the connection's issuer and subject`),
    ...(granted
      ? [write('pipelinePermissions', pipelines.length > 0 ? ['connection', 'pipelines'] : ['connection'], `ensure pipeline permissions on the connection: ${granted}`)]
      : []),
    ...(sharing.length > 0 ? [write('sharing', ['connection', 'sharedProjects'], `ensure the connection is shared with projects ${quoted(sharing)}`)] : []),
  ];
}

/**
 * The ARM scopes this request writes at, each once (ARM ids compare case-insensitively): the identity's
 * resource group (a managed identity and its federated credentials), the role scope and every
 * roleAssignments scope (role assignments).
 */
export function armWriteScopes(request: ProvisioningRequest): string[] {
  const { azure } = request;
  const scopes = [
    ...(request.identityType === 'managedIdentity' ? [identityScope(request)] : []),
    azure.scope,
    ...azure.additionalRoles.map((grant) => grant.scope),
  ];
  return scopes.filter((scope, index) => scopes.findIndex((other) => other.toLowerCase() === scope.toLowerCase()) === index);
}

/** The ARM id of the managed identity's resource group. */
export function identityScope(request: ManagedIdentityRequest): string {
  return `/subscriptions/${request.azure.subscriptionId}/resourceGroups/${request.identity.resourceGroup}`;
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
