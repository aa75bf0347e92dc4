/**
 * The run's summary, in Markdown, for the run's page (Extensions tab), $GITHUB_STEP_SUMMARY and --summary:
 * a section per run, titled after the connection so that several steps of one run each get their own.
 *
 * Each action has one section builder, a pure function from its typed result to a `Summary`; this file holds
 * provisioning's (`provisioningSummary`). It is built from what the run decided and did (the change set, the
 * writes done, the outputs, the verification's result), never from a service's raw answer, so no token,
 * secret or assertion can reach it; every value is escaped (src/markdown.ts) and every link is built from
 * validated ids (src/portalLinks.ts).
 */
import { type ChangeAction, type Change, type Happened } from './change';
import type { OutputName } from './inputNames';
import { code, link, table, text } from './markdown';
import { applicationPage, armPage, connectionPage } from './portalLinks';
import type { ProvisioningRequest } from './request';
import { type ChangeSet, entriesOf, type EntryOf, type Key, KEYS } from './resources';
import type { Project } from './resources/lookups';
import { fromWire as connectionFromWire } from './resources/serviceConnectionWire';

/** One section of the run's summary: its title (the attachment's name) and its Markdown, which starts with the title as a heading. */
export interface Summary {
  title: string;
  markdown: string;
}

/** What a provisioning run knew when it ended: main fills it in as the run goes, each part once it exists. */
export interface ProvisioningRun {
  /** The connectionName input as given, for the title of a run whose inputs are refused. */
  connectionName?: string;
  request?: ProvisioningRequest;
  project?: Project;
  changes?: ChangeSet;
  /** Each write, in the order they were done (a keep too: what apply found in place). */
  done: { change: Change; happened: Happened }[];
  outputs?: [OutputName, string][];
  verified?: { elapsedMs: number; requests: number };
  /** A dry run's permission checks that could not be made. */
  unchecked?: string[];
}

/** How the run ended, in its own words (the task's closing line). */
export type Ending = { result: 'Succeeded' | 'SucceededWithIssues' | 'DryRun'; message: string } | { result: 'Failed'; message: string };

const TITLE = 'Workload identity connection';

/** The section title: the connection's name, one line, as the attachment's name and the heading. */
export function titleOf(connectionName: string | undefined): string {
  const name = (connectionName ?? '').replace(/\s+/g, ' ').trim();
  return name ? `${TITLE}: ${name}` : TITLE;
}

/** What the rows and links are made from: the run's ids once known, the request's names. */
interface Context {
  request: ProvisioningRequest;
  project?: Project;
  environment: string;
  tenantId: string;
  /** The identity's client id (an application's appId), once it exists. */
  clientId: string;
  connectionId: string;
}

interface Row {
  resource: string;
  name: string;
  scope: string;
}

/**
 * Each resource of the list as a row: what it is, its name and where it lives, with a link where there is a
 * page for it. A resource added to src/resources/index.ts without a row here does not compile.
 */
const ROWS: { [K in Key]: (entry: EntryOf<K>, context: Context) => Row } = {
  managedIdentity: (entry, { environment, tenantId, request }) => ({
    resource: 'managed identity',
    name: link(
      entry.desired.name,
      armPage(
        environment,
        tenantId,
        entry.existing?.id ||
          `/subscriptions/${request.azure.subscriptionId}/resourceGroups/${entry.desired.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${entry.desired.name}`,
      ),
    ),
    scope: `resource group ${text(entry.desired.resourceGroup)}`,
  }),
  application: (entry, { environment, tenantId, clientId }) => ({
    resource: 'app registration',
    name: link(entry.desired.displayName, applicationPage(environment, tenantId, entry.existing?.appId || clientId)),
    scope: 'single tenant',
  }),
  servicePrincipal: (_entry, { request }) => ({
    resource: 'service principal',
    name: request.identityType === 'appRegistration' ? `of ${text(request.application.displayName)}` : '',
    scope: 'tenant',
  }),
  assignments: (entry, { environment, tenantId }) => ({
    resource: 'role assignment',
    name: text(entry.role.name),
    scope: link(entry.scope, armPage(environment, tenantId, entry.scope, 'users')),
  }),
  connection: (entry, { request, project, connectionId }) => ({
    resource: 'service connection',
    name: link(request.connectionName, connectionPage(request.devops.organizationUrl, project?.id ?? '', entry.existing?.id || connectionId)),
    scope: `project ${text(project?.name ?? request.devops.project)}`,
  }),
  credential: (entry, { request }) => ({
    resource: 'federated credential',
    name: entry.existing?.name || entry.name ? text(entry.existing?.name || entry.name || '') : "for the connection's issuer and subject",
    scope: request.identityType === 'managedIdentity' ? `on ${text(request.identity.name)}` : `on ${text(request.application.displayName)}`,
  }),
  pipelinePermissions: (entry, { request }) => ({
    resource: 'pipeline permissions',
    name: request.devops.authorizeAllPipelines ? 'all pipelines' : text(entry.what.replace(/^pipeline permissions on the connection: /, '')),
    scope: 'the connection',
  }),
  sharing: (_entry, { request }) => ({
    resource: 'sharing',
    name: request.devops.shareWithProjects.map(text).join(', '),
    scope: 'projects',
  }),
  checks: (entry) => ({
    resource: entry.kind === 'approval' ? 'approval check' : 'branch control check',
    name:
      entry.kind === 'approval'
        ? entry.desired.approvers.map((approver) => text(approver.displayName)).join(', ')
        : entry.desired.allowedBranches.map(text).join(', '),
    scope: 'the connection',
  }),
};

const DONE: Record<Happened, string> = { created: 'created', updated: 'updated', kept: 'kept' };
const WOULD: Record<ChangeAction, string> = { create: 'would create', update: 'would update', keep: 'would keep' };

/** The rows of the change set in its order, each with what happened to it (or, in a dry run, would). */
function rows(set: ChangeSet, context: Context, happened: (change: Change) => string | undefined): string[][] {
  return KEYS.flatMap((key) =>
    entriesOf(set[key]).flatMap((change) => {
      const done = happened(change);
      if (done === undefined) return [];
      const row = (ROWS[key] as (entry: Change, context: Context) => Row)(change, context);
      return [[`**${done}**`, row.resource, row.name || '—', row.scope]];
    }),
  );
}

/** The summary of a provisioning run, for every ending: done, done with warnings, dry run, failed. */
export function provisioningSummary(run: ProvisioningRun, ending: Ending): Summary {
  const title = titleOf(run.request?.connectionName ?? run.connectionName);
  const lines = [`## ${text(title)}`, '', ...headline(ending)];
  const { request, changes } = run;
  if (!request) return { title, markdown: `${[...lines, '', 'Nothing was written.', ...rerun(ending)].join('\n')}\n` };
  const output = (name: OutputName): string => run.outputs?.find(([key]) => key === name)?.[1] ?? '';
  const existing = changes?.connection.existing ? connectionFromWire(changes.connection.existing) : undefined;
  const context: Context = {
    request,
    project: run.project,
    environment: request.bootstrap.cloud.environment,
    tenantId: output('tenantId') || request.bootstrap.auth.tenantId,
    clientId: output('clientId') || existing?.clientId || '',
    connectionId: output('serviceConnectionId') || existing?.id || '',
  };
  const done = new Map(run.done.map(({ change, happened }) => [change, DONE[happened]]));
  const happened = (change: Change): string | undefined => (ending.result === 'DryRun' ? WOULD[change.action] : done.get(change));
  const found = changes ? rows(changes, context, happened) : [];
  lines.push('', ending.result === 'Failed' ? '### Done before the failure' : '### Resources', '');
  lines.push(...(found.length > 0 ? table(['', 'resource', 'name', 'scope'], found) : ['Nothing was written.']));
  lines.push(...signIn(run, context, existing, ending));
  lines.push(
    ...list(
      'Approvals and checks',
      (changes?.checks ?? []).flatMap((entry) => {
        const what = happened(entry);
        return what === undefined ? [] : [`${what}: ${text(entry.what)}`];
      }),
    ),
  );
  lines.push(...list('Warnings', (changes?.warnings ?? []).map(text)));
  lines.push(...list('Permissions not checked', (run.unchecked ?? []).map(text)));
  lines.push(...outputVariables(run.outputs));
  lines.push(...rerun(ending));
  return { title, markdown: `${lines.join('\n')}\n` };
}

/** The ending in bold, then the run's closing line (a dry run's already starts with "Dry run:"). */
function headline(ending: Ending): string[] {
  const words = { Succeeded: 'Succeeded', SucceededWithIssues: 'Succeeded with issues', DryRun: 'Dry run', Failed: 'Failed' }[ending.result];
  return [`**${words}**: ${text(ending.message.replace(/^Dry run:\s*/, ''))}`];
}

/** The identity, its issuer and subject, and the verification's result. */
function signIn(run: ProvisioningRun, context: Context, existing: { issuer: string; subject: string } | undefined, ending: Ending): string[] {
  const { request } = context;
  const issuer = run.outputs?.find(([name]) => name === 'workloadIdentityIssuer')?.[1] || existing?.issuer;
  const subject = run.outputs?.find(([name]) => name === 'workloadIdentitySubject')?.[1] || existing?.subject;
  const who =
    request.identityType === 'managedIdentity'
      ? `managed identity ${text(request.identity.name)}`
      : `app registration ${text(request.application.displayName)}`;
  // A failed run may have created the connection, but its issuer and subject reach the run with the outputs.
  const unknown =
    ending.result === 'Failed' ? 'not known: the run stopped before it set the outputs' : 'generated by Azure DevOps when the connection is created';
  const lines = [
    `- Signs in as: ${who}${context.clientId ? `, client id ${code(context.clientId)}` : ''}, tenant ${code(context.tenantId)}, cloud ${text(context.environment)}`,
    `- Issuer: ${issuer ? code(issuer) : unknown}`,
    `- Subject: ${subject ? code(subject) : unknown}`,
    `- Verification: ${verification(run, ending)}`,
  ];
  return ['', '### Sign-in', '', ...lines];
}

function verification(run: ProvisioningRun, ending: Ending): string {
  const timeout = run.request?.verify?.timeoutSeconds;
  if (timeout === undefined) return 'not asked for (verifyConnection is false)';
  if (ending.result === 'DryRun') return `a dry run does not ask Azure DevOps; a run would wait up to ${timeout} s for it to verify the connection`;
  if (run.verified) {
    const requests = run.verified.requests === 1 ? '1 request' : `${run.verified.requests} requests`;
    return `verified by Azure DevOps after ${Math.round(run.verified.elapsedMs / 1000)} s (${requests})`;
  }
  return ending.result === 'Failed' ? 'not verified: see the failure' : 'not verified';
}

function list(heading: string, items: string[]): string[] {
  return items.length === 0 ? [] : ['', `### ${heading}`, '', ...items.map((item) => `- ${item}`)];
}

/** What to do next after a failure: the failure line itself carries its fix. */
function rerun(ending: Ending): string[] {
  if (ending.result !== 'Failed') return [];
  return ['', '**Re-run** the task once the cause is fixed: it reads before it writes, keeps what this run made and goes on from there; nothing is removed.'];
}

/** The section of the output variables a run set, every action alike; nothing when it set none. */
export function outputVariables(outputs: [OutputName, string][] | undefined): string[] {
  if (!outputs || outputs.length === 0) return [];
  return [
    '',
    '### Output variables',
    '',
    ...table(
      ['name', 'value'],
      outputs.map(([name, value]) => [code(name), value ? code(value) : '—']),
    ),
  ];
}
