/**
 * What the task tells the pipeline, all of it from the change set and what was read: the lines of what
 * was checked, a line per resource as it is written (or, in a dry run, as it would be), the closing
 * summary, and the output variables.
 */
import type { Applied, Happened } from './apply';
import { type Action, type Change, type ChangeSet, changesOf } from './decide';
import type { OutputName } from './names';
import { armWriteScopes, type Observed } from './read';
import { describePipeline, type ProvisioningRequest } from './request';

/** What the reads established, a line each; a check that could not be made says so instead. */
export function checkedLines(request: ProvisioningRequest, observed: Observed): string[] {
  const { azure, devops } = request;
  const lines = [
    `Checked: project '${observed.project.name}' in ${devops.organizationUrl}.`,
    `Checked: subscription ${azure.subscriptionId} ('${observed.subscription.name}').`,
    ...(azure.managementGroup ? [`Checked: management group '${azure.managementGroup.id}'.`] : []),
    ...(azure.resourceGroup ? [`Checked: resource group '${azure.resourceGroup}'.`] : []),
    ...observed.grants.map((grant) => `Checked: role '${grant.role.name}' at ${grant.scope}.`),
    ...(devops.authorizePipelines.length > 0
      ? [`Checked: pipelines ${devops.authorizePipelines.map(describePipeline).join(', ')} in project '${observed.project.name}'.`]
      : []),
    ...(devops.shareWithProjects.length > 0 ? [`Checked: projects ${quoted(devops.shareWithProjects)} to share the connection with.`] : []),
  ];
  for (const scope of armWriteScopes(request)) {
    lines.push(
      observed.armPermissions[scope.toLowerCase()]
        ? `Checked: the bootstrap identity's permissions at ${scope}.`
        : `Not checked: the bootstrap identity's permissions at ${scope} could not be read; the writes there will tell.`,
    );
  }
  const region = observed.identity.kind === 'managedIdentity' ? observed.identity.region : undefined;
  if (region) {
    lines.push(
      region.checked
        ? `Checked: region '${region.location}' offers user-assigned managed identities.`
        : `Not checked: whether region '${region.location}' offers user-assigned managed identities (the regions of Microsoft.ManagedIdentity could not be read: ${region.why ?? 'no answer'}); the identity's write will tell.`,
    );
  }
  const access = observed.devopsAccess;
  lines.push(
    access.create === undefined && access.administer === undefined
      ? `Not checked: the permissions on service connections in project '${observed.project.name}' could not be read; the writes will tell.`
      : `Checked: the permissions on service connections in project '${observed.project.name}'.`,
  );
  return lines;
}

const DONE: Record<Happened, string> = { created: 'Created', updated: 'Updated', kept: 'Kept' };
const WOULD: Record<Action, string> = { create: 'Would create', update: 'Would update', keep: 'Would keep' };

/** The line for a resource once its write is done (or found done). */
export function doneLine(change: Change, happened: Happened): string {
  return `${DONE[happened]}: ${change.what}.`;
}

/** A dry run's line per resource: what a run would do. */
export function dryRunLines(set: ChangeSet): string[] {
  return changesOf(set).map((change) => `${WOULD[change.action]}: ${change.what}.`);
}

/** The closing line of a dry run. */
export function dryRunSummary(set: ChangeSet): string {
  const changes = changesOf(set);
  const count = (action: Action): number => changes.filter((change) => change.action === action).length;
  const inPlace = count('keep') === changes.length ? ': everything is in place' : '';
  return `Dry run: nothing was written. A run would create ${count('create')}, update ${count('update')} and keep ${count('keep')} of ${changes.length} resources${inPlace}.`;
}

/** Output variables in the order later steps and templates chain on them; declared in task.json. */
export function outputs(request: ProvisioningRequest, applied: Applied): [OutputName, string][] {
  const { connection, identity } = applied;
  const common: [OutputName, string][] = [
    ['serviceConnectionName', connection.name || request.connectionName],
    ['serviceConnectionId', connection.id],
    ['clientId', identity.clientId],
    ['principalId', identity.principalId],
    ['tenantId', identity.tenantId || connection.tenantId],
    ['workloadIdentityIssuer', connection.issuer],
    ['workloadIdentitySubject', connection.subject],
  ];
  // Declared after the others in task.json: set only when there is an application.
  return applied.applicationObjectId === undefined ? common : [...common, ['applicationObjectId', applied.applicationObjectId]];
}

function quoted(names: string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}

/**
 * What an input asks for that differs from what exists and that this task will not or cannot change: each a
 * warning naming the input, the value found and what to do (the run then ends SucceededWithIssues).
 */
export function driftWarnings(request: ProvisioningRequest, observed: Observed): string[] {
  const warnings: string[] = [];
  const identity = observed.identity;
  if (request.identityType === 'managedIdentity' && identity.kind === 'managedIdentity' && identity.existing) {
    const wanted = request.identity.location;
    const found = identity.existing.location;
    if (wanted && found && normalRegion(found) !== wanted) {
      warnings.push(
        `Input 'identityLocation' says '${wanted}', but the managed identity '${identity.existing.name}' exists in '${normalRegion(found)}' and a location cannot change: the identity was kept there. Set identityLocation to '${normalRegion(found)}' or leave it empty; for an identity in '${wanted}', provision another connection (another connectionName).`,
      );
    }
  }
  const connection = observed.connection;
  if (connection) {
    const own = observed.project.id.toLowerCase();
    const wanted = new Set(observed.shareTargets.map((target) => target.project.id.toLowerCase()));
    const others = (connection.serviceEndpointProjectReferences ?? [])
      .map((reference) => reference.projectReference)
      .filter((project) => project?.id && project.id.toLowerCase() !== own && !wanted.has(project.id.toLowerCase()));
    if (others.length > 0) {
      const names = others.map((project) => `'${project?.name || project?.id}'`).join(', ');
      warnings.push(
        `Input 'shareWithProjects' does not list ${names}, which the service connection '${connection.name ?? request.connectionName}' is shared with; this task never unshares: stop sharing it in Project settings, Service connections, the connection, Security (or add the project to shareWithProjects).`,
      );
    }
  }
  if (observed.pipelinePermissions?.allPipelines && !request.devops.authorizeAllPipelines) {
    warnings.push(
      `Input 'authorizeAllPipelines' is false, but every pipeline of project '${observed.project.name}' may already use the service connection '${request.connectionName}'; this task never takes a permission back: restrict it in Project settings, Service connections, the connection, Security, Pipeline permissions.`,
    );
  }
  return warnings;
}

/** Why a dry run's permission checks are incomplete, a line each; empty when every check could be made. */
export function uncheckedPermissions(request: ProvisioningRequest, observed: Observed): string[] {
  const unread = armWriteScopes(request).filter((scope) => !observed.armPermissions[scope.toLowerCase()]);
  const access = observed.devopsAccess;
  return [
    ...unread.map((scope) => `The bootstrap identity's permissions at ${scope} could not be read, so a run may still be refused there.`),
    ...(access.create === undefined && access.administer === undefined
      ? [`The permissions on service connections in project '${observed.project.name}' could not be read, so a run may still be refused there.`]
      : []),
  ];
}

/** ARM answers locations as names (westeurope) or display names (West Europe). */
function normalRegion(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
