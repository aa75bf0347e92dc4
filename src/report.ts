/**
 * What the task tells the pipeline: a line per finished step, and the output variables.
 */
import type { Agent } from './agent';
import type { Step } from './plan';
import type { Provisioned } from './provision';
import type { ProvisioningRequest } from './request';
import type { Outcome } from './resources/outcome';

/** Output variables in the order later steps and templates chain on them; declared in task.json. */
export function outputs(request: ProvisioningRequest, provisioned: Provisioned): [string, string][] {
  const identity = provisioned.identity.value;
  const connection = provisioned.connection.value;
  return [
    ['serviceConnectionName', connection.name || request.connectionName],
    ['serviceConnectionId', connection.id],
    ['clientId', identity.clientId],
    ['principalId', identity.principalId],
    ['tenantId', identity.tenantId || connection.tenantId],
    ['workloadIdentityIssuer', connection.issuer],
    ['workloadIdentitySubject', connection.subject],
  ];
}

export function report(request: ProvisioningRequest, provisioned: Provisioned, agent: Agent): void {
  for (const [name, value] of outputs(request, provisioned)) agent.output(name, value);
}

/**
 * One log line for a finished step: writes say what they did (in a dry run, what they would do), reads
 * what they found.
 */
export function summarize(step: Step, result: unknown, dryRun = false): string {
  if (isOutcome(result)) {
    const verb = dryRun ? `Would ${WOULD[result.action]}` : capitalize(result.action);
    return `${verb}: ${step.summary.replace(/^ensure /, '')}.`;
  }
  if (result === null) return `Not found yet: ${step.summary.replace(/^look for /, '')}.`;
  return `Checked: ${step.summary.replace(/^(read|find|look for|check) /, '')}.`;
}

const WOULD: Record<Outcome<unknown>['action'], string> = { created: 'create', updated: 'update', kept: 'keep' };

/** The closing line of a dry run: what a run would do with each resource it ensures. */
export function dryRunSummary(provisioned: Provisioned): string {
  const outcomes = Object.values(provisioned).filter(isOutcome);
  const count = (action: Outcome<unknown>['action']): number => outcomes.filter((o) => o.action === action).length;
  const changes = count('created') + count('updated');
  return `Dry run: nothing was written. A run would create ${count('created')}, update ${count('updated')} and keep ${count('kept')} of ${outcomes.length} resources${changes === 0 ? ': everything is in place' : ''}.`;
}

function isOutcome(value: unknown): value is Outcome<unknown> {
  return typeof value === 'object' && value !== null && 'action' in value && 'value' in value;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
