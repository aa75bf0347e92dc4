/**
 * What the task tells the pipeline: a line per finished step, and the output variables.
 */
import type { Agent } from './agent';
import type { Message } from './messages';
import type { Step } from './plan';
import type { Provisioned } from './provision';
import type { ProvisioningRequest } from './request';
import type { Outcome } from './resources/outcome';

/** Output variables in the order later steps and templates chain on them; declared in task.json. */
export function outputs(request: ProvisioningRequest, provisioned: Provisioned): [string, string][] {
  const connection = provisioned.connection.value;
  const identity =
    'application' in provisioned
      ? { clientId: provisioned.application.value.appId, principalId: provisioned.servicePrincipal.value.id, tenantId: connection.tenantId }
      : provisioned.identity.value;
  const common: [string, string][] = [
    ['serviceConnectionName', connection.name || request.connectionName],
    ['serviceConnectionId', connection.id],
    ['clientId', identity.clientId],
    ['principalId', identity.principalId],
    ['tenantId', identity.tenantId || connection.tenantId],
    ['workloadIdentityIssuer', connection.issuer],
    ['workloadIdentitySubject', connection.subject],
  ];
  // Declared after the others in task.json: set only when there is an application.
  return 'application' in provisioned ? [...common, ['applicationObjectId', provisioned.application.value.id]] : common;
}

export function report(request: ProvisioningRequest, provisioned: Provisioned, agent: Agent): void {
  for (const [name, value] of outputs(request, provisioned)) agent.output(name, value);
}

/**
 * One log line for a finished step: writes say what they did (in a dry run, what they would do), reads
 * what they found.
 */
export function summarize(step: Step, result: unknown, dryRun = false): Message {
  if (isOutcome(result)) return [(dryRun ? WOULD_MESSAGES : ACTION_MESSAGES)[result.action], step.summary.replace(/^ensure /, '')];
  if (result === null) return ['StepNotFound', step.summary.replace(/^look for /, '')];
  return ['StepChecked', step.summary.replace(/^(read|find|look for|check) /, '')];
}

const ACTION_MESSAGES = { created: 'StepCreated', updated: 'StepUpdated', kept: 'StepKept' } as const;
const WOULD_MESSAGES = { created: 'StepWouldCreate', updated: 'StepWouldUpdate', kept: 'StepWouldKeep' } as const;

/** The closing line of a dry run: what a run would do with each resource it ensures. */
export function dryRunSummary(provisioned: Provisioned): Message {
  const outcomes = Object.values(provisioned).filter(isOutcome);
  const count = (action: Outcome<unknown>['action']): string => String(outcomes.filter((o) => o.action === action).length);
  const inPlace = outcomes.every((o) => o.action === 'kept');
  return [inPlace ? 'DryRunInPlace' : 'DryRunSummary', count('created'), count('updated'), count('kept'), String(outcomes.length)];
}

function isOutcome(value: unknown): value is Outcome<unknown> {
  return typeof value === 'object' && value !== null && 'action' in value && 'value' in value;
}
