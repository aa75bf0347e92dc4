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

/** One log line for a finished step: writes say what they did, reads what they found. */
export function summarize(step: Step, result: unknown): Message {
  if (isOutcome(result)) return [ACTION_MESSAGES[result.action], step.summary.replace(/^ensure /, '')];
  if (result === null) return ['StepNotFound', step.summary.replace(/^look for /, '')];
  return ['StepChecked', step.summary.replace(/^(read|find|look for) /, '')];
}

const ACTION_MESSAGES = { created: 'StepCreated', updated: 'StepUpdated', kept: 'StepKept' } as const;

function isOutcome(value: unknown): value is Outcome<unknown> {
  return typeof value === 'object' && value !== null && 'action' in value && 'value' in value;
}
