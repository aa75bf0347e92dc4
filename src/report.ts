/**
 * What the task tells the pipeline, all of it from the change set and what was read: the lines of what
 * was checked, a line per resource as it is written (or, in a dry run, as it would be), the closing
 * summary, and the output variables.
 */
import type { Applied } from './apply';
import type { ChangeAction, Change, Happened } from './change';
import type { OutputName } from './inputNames';
import { armWriteScopes, type Observed } from './read';
import { describePipeline, type ProvisioningRequest } from './request';
import { type ChangeSet, changesOf } from './resources';
import type { VerificationTarget } from './resources/verification';

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
    ...(observed.approvers.length > 0
      ? [`Checked: approvers ${observed.approvers.map((a) => `'${a.line}' (${a.isGroup ? 'group' : 'user'} ${a.displayName})`).join(', ')}.`]
      : []),
  ];
  const unread = unreadPermissions(request, observed);
  for (const scope of armWriteScopes(request)) {
    lines.push(
      unread.scopes.includes(scope)
        ? `Not checked: the bootstrap identity's permissions at ${scope} could not be read; the writes there will tell.`
        : `Checked: the bootstrap identity's permissions at ${scope}.`,
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
  lines.push(
    unread.devops
      ? `Not checked: the permissions on service connections in project '${observed.project.name}' could not be read; the writes will tell.`
      : `Checked: the permissions on service connections in project '${observed.project.name}'.`,
  );
  return lines;
}

const DONE: Record<Happened, string> = { created: 'Created', updated: 'Updated', kept: 'Kept' };
const WOULD: Record<ChangeAction, string> = { create: 'Would create', update: 'Would update', keep: 'Would keep' };

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
  const count = (action: ChangeAction): number => changes.filter((change) => change.action === action).length;
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

/** A dry run's line on verification: it never asks Azure DevOps, and says what a run would do. */
export function verifyDryRunLine(request: ProvisioningRequest): string {
  return request.verify
    ? `Would verify: Azure DevOps signs in with the connection and reaches ${scopeWords(request)} (waiting up to ${request.verify.timeoutSeconds} s); a dry run does not ask it.`
    : 'Would not verify the connection (verifyConnection is false).';
}

/** Who the connection signs in as and what it reaches, for the verification's lines. */
export function verificationTarget(request: ProvisioningRequest, applied: Applied, projectId: string): VerificationTarget {
  const who = request.identityType === 'managedIdentity' ? `managed identity '${request.identity.name}'` : `application '${request.application.displayName}'`;
  return {
    projectId,
    connectionId: applied.connection.id,
    connectionName: applied.connection.name || request.connectionName,
    signsInAs: `${who} (client id ${applied.identity.clientId})`,
    reaches: scopeWords(request),
  };
}

/** The line of a verified connection: who signed in, what was reached, after how long. */
export function verifiedLine(target: VerificationTarget, verified: { elapsedMs: number; requests: number }): string {
  const requests = verified.requests === 1 ? '1 request' : `${verified.requests} requests`;
  return `Verified: Azure DevOps signed in to Entra ID as ${target.signsInAs} with the connection's federated credential and reached ${target.reaches} at Azure Resource Manager, after ${Math.round(verified.elapsedMs / 1000)} s (${requests}).`;
}

function scopeWords(request: ProvisioningRequest): string {
  const { azure } = request;
  if (azure.managementGroup) return `management group '${azure.managementGroup.id}'`;
  if (azure.resourceGroup) return `resource group '${azure.resourceGroup}' in subscription ${azure.subscriptionId}`;
  return `subscription ${azure.subscriptionId}`;
}

/** Why a dry run's permission checks are incomplete, a line each; empty when every check could be made. */
export function uncheckedPermissions(request: ProvisioningRequest, observed: Observed): string[] {
  const unread = unreadPermissions(request, observed);
  return [
    ...unread.scopes.map((scope) => `The bootstrap identity's permissions at ${scope} could not be read, so a run may still be refused there.`),
    ...(unread.devops
      ? [`The permissions on service connections in project '${observed.project.name}' could not be read, so a run may still be refused there.`]
      : []),
  ];
}

/** The preflight's reads that did not answer: ARM scopes whose permissions are unknown, and whether Azure DevOps' are. */
function unreadPermissions(request: ProvisioningRequest, observed: Observed): { scopes: string[]; devops: boolean } {
  const access = observed.devopsAccess;
  return {
    scopes: armWriteScopes(request).filter((scope) => !observed.armPermissions[scope.toLowerCase()]),
    devops: access.create === undefined && access.administer === undefined,
  };
}
