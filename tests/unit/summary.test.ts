/**
 * summary: the Markdown section of a provisioning run, for each ending (created, kept, updated, dry run,
 * failure after a write, SucceededWithIssues), both identity types, a sovereign cloud's portal, and a
 * hostile connection name. Built from the change set decide makes of what a run read (tests/support/observed.ts).
 */
import { strict as assert } from 'node:assert';
import { planned } from '../../src/change';
import { decide } from '../../src/decide';
import type { OutputName } from '../../src/inputNames';
import type { Observed } from '../../src/read';
import { parseRequest, type ProvisioningRequest } from '../../src/request';
import { changesOf } from '../../src/resources';
import { provisioningSummary, type ProvisioningRun, titleOf } from '../../src/summary';
import { observed, rerun, SUBJECT } from '../support/observed';
import { rawTask, SUBSCRIPTION } from './fixtures';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PROJECT = { id: '0f5c3a1e-7d2b-4c8a-9e61-3b4d5c6e7f80', name: 'platform' };
const CONNECTION_ID = 'c0ffee00-1111-2222-3333-444455556666';
const CLIENT_ID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const HOSTILE = 'a|b <img src=x onerror=alert(1)> [x](javascript:alert(1))';

function request(inputs: Record<string, string> = {}, cloud?: { environment: string; url: string }): ProvisioningRequest {
  return parseRequest(
    rawTask(
      { resourceGroup: 'rg-app1-dev', ...inputs },
      {},
      {
        parameters: { tenantid: TENANT, serviceprincipalid: 'client-guid' },
        ...(cloud ? { url: cloud.url, data: { subscriptionId: SUBSCRIPTION, environment: cloud.environment } } : {}),
      },
    ),
  );
}

function outputs(req: ProvisioningRequest): [OutputName, string][] {
  return [
    ['serviceConnectionName', req.connectionName],
    ['serviceConnectionId', CONNECTION_ID],
    ['clientId', CLIENT_ID],
    ['principalId', 'principal-id'],
    ['tenantId', TENANT],
    ['workloadIdentityIssuer', 'https://login.microsoftonline.com/tenant/v2.0'],
    ['workloadIdentitySubject', SUBJECT],
  ];
}

/** A run that did every write of its change set as planned, and was verified. */
function doneRun(req: ProvisioningRequest, read: Observed): ProvisioningRun {
  const changes = decide(req, read);
  return {
    request: req,
    project: PROJECT,
    changes,
    done: changesOf(changes).map((change) => ({ change, happened: planned(change) })),
    outputs: outputs(req),
    verified: { elapsedMs: 14_200, requests: 6 },
  };
}

/** The table's rows: the lines that start with `| **`. */
function rows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => line.startsWith('| **'));
}

describe('summary: the Markdown of a provisioning run', () => {
  const req = request();

  it('of a first run: a row per resource created with its name and scope, links, issuer, subject, verification and outputs', () => {
    const { title, markdown } = provisioningSummary(doneRun(req, observed(req, { project: PROJECT })), {
      result: 'Succeeded',
      message: "Service connection 'app1-dev' is ready and verified.",
    });
    assert.equal(title, 'Workload identity connection: app1-dev');
    assert.match(markdown, /^## Workload identity connection: app1\\-dev\n\n\*\*Succeeded\*\*: Service connection 'app1\\-dev' is ready and verified\.\n/);
    const identityPage = `https://portal.azure.com/#@${TENANT}/resource/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app1-dev`;
    assert.deepEqual(rows(markdown), [
      `| **created** | managed identity | [id\\-app1\\-dev](<${identityPage}>) | resource group rg\\-identities |`,
      `| **created** | role assignment | Contributor | [/subscriptions/${SUBSCRIPTION.replace(/-/g, '\\-')}/resourceGroups/rg\\-app1\\-dev](<https://portal.azure.com/#@${TENANT}/resource/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-app1-dev/users>) |`,
      `| **created** | service connection | [app1\\-dev](<https://dev.azure.com/contoso/${PROJECT.id}/_settings/adminservices?resourceId=${CONNECTION_ID}>) | project platform |`,
      "| **created** | federated credential | for the connection's issuer and subject | on id\\-app1\\-dev |",
    ]);
    assert.ok(markdown.includes(`- Signs in as: managed identity id\\-app1\\-dev, client id \`${CLIENT_ID}\`, tenant \`${TENANT}\`, cloud AzureCloud`));
    assert.ok(markdown.includes('- Issuer: `https://login.microsoftonline.com/tenant/v2.0`'));
    assert.ok(markdown.includes(`- Subject: \`${SUBJECT}\``));
    assert.ok(markdown.includes('- Verification: verified by Azure DevOps after 14 s (6 requests)'));
    assert.ok(markdown.includes(`| \`serviceConnectionId\` | \`${CONNECTION_ID}\` |`));
    assert.doesNotMatch(markdown, /### Warnings|Re-run/);
  });

  it('of a re-run: every row kept; without verification it says it was not asked for', () => {
    const quiet = request({ verifyConnection: 'false' });
    const run = { ...doneRun(quiet, rerun(quiet)), verified: undefined };
    const { markdown } = provisioningSummary(run, { result: 'Succeeded', message: 'ready' });
    assert.deepEqual(
      rows(markdown).map((row) => row.split(' | ').slice(0, 2).join(' | ')),
      ['| **kept** | managed identity', '| **kept** | role assignment', '| **kept** | service connection', '| **kept** | federated credential'],
    );
    assert.ok(markdown.includes('| **kept** | federated credential | azure\\-devops\\-connection\\-id |'), 'a kept credential by its name');
    assert.ok(markdown.includes('- Verification: not asked for (verifyConnection is false)'));
  });

  it('of an app registration updated in place: its portal page by application id, the service principal kept', () => {
    const app = request({ identityType: 'appRegistration', applicationName: 'app1-deployer' });
    const read = observed(app, {
      project: PROJECT,
      identity: {
        kind: 'appRegistration',
        uniqueName: 'wic-x',
        application: { id: 'object-id', appId: CLIENT_ID, uniqueName: 'wic-x', displayName: 'old name', signInAudience: 'AzureADMyOrg' },
        servicePrincipal: { id: 'sp-id', appId: CLIENT_ID, displayName: 'old name' },
      },
    });
    const { markdown } = provisioningSummary(doneRun(app, read), { result: 'Succeeded', message: 'ready' });
    const [application, principal] = rows(markdown);
    assert.equal(
      application,
      `| **updated** | app registration | [app1\\-deployer](<https://portal.azure.com/${TENANT}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/${CLIENT_ID}>) | single tenant |`,
    );
    assert.equal(principal, '| **kept** | service principal | of app1\\-deployer | tenant |');
    assert.ok(markdown.includes('- Signs in as: app registration app1\\-deployer'));
  });

  it('of a dry run: "would" on every row, what verification would do, and the permissions it could not check; no outputs', () => {
    const changes = decide(req, observed(req, { project: PROJECT }));
    const unchecked = ["The bootstrap identity's permissions at /subscriptions/x could not be read, so a run may still be refused there."];
    const { markdown } = provisioningSummary(
      { request: req, project: PROJECT, changes, done: [], unchecked },
      { result: 'DryRun', message: 'Dry run: nothing was written.' },
    );
    assert.deepEqual(
      rows(markdown).map((row) => row.split(' | ')[0]),
      ['| **would create**', '| **would create**', '| **would create**', '| **would create**'],
    );
    assert.match(markdown, /^- Verification: a dry run does not ask Azure DevOps; a run would wait up to 300 s/m);
    assert.match(markdown, /### Permissions not checked\n\n- The bootstrap identity's permissions at \/subscriptions\/x could not be read/);
    assert.match(markdown, /- Issuer: generated by Azure DevOps when the connection is created/);
    assert.doesNotMatch(markdown, /### Output variables/);
  });

  it('of a failure after a write: the writes done, the failure line with its fix, the re-run advice', () => {
    const changes = decide(req, observed(req, { project: PROJECT }));
    const [identity] = changesOf(changes);
    const failure =
      "Could not assign the role 'Contributor' to … (HTTP 403, AuthorizationFailed). Grant the bootstrap connection's identity a role that allows this action on the scope";
    const { markdown } = provisioningSummary(
      { request: req, project: PROJECT, changes, done: [{ change: identity, happened: 'created' }] },
      { result: 'Failed', message: failure },
    );
    assert.match(markdown, /^\*\*Failed\*\*: Could not assign the role 'Contributor' to … \\\(HTTP 403, AuthorizationFailed\\\)\. Grant the bootstrap/m);
    assert.match(
      markdown,
      /### Done before the failure\n\n\| {2}\| resource \| name \| scope \|\n\| --- \| --- \| --- \| --- \|\n\| \*\*created\*\* \| managed identity \|[^\n]*\n\n/,
    );
    assert.equal(rows(markdown).length, 1, 'only the writes done');
    assert.match(markdown, /- Verification: not verified: see the failure/);
    assert.match(markdown, /- Issuer: not known: the run stopped before it set the outputs/);
    assert.match(markdown, /\*\*Re-run\*\* the task once the cause is fixed/);
  });

  it('of a failure before anything was read: the title from the input, nothing written', () => {
    const { title, markdown } = provisioningSummary({ connectionName: ' app1-dev ', done: [] }, { result: 'Failed', message: "Input 'x' is required." });
    assert.equal(title, 'Workload identity connection: app1-dev');
    assert.match(markdown, /\*\*Failed\*\*: Input 'x' is required\.\n\nNothing was written\.\n\n\*\*Re-run\*\*/);
    assert.equal(titleOf(undefined), 'Workload identity connection');
  });

  it('of a run with warnings (SucceededWithIssues): every warning with its fix, the checks with what happened', () => {
    const located = request({ identityLocation: 'northeurope', allowedBranches: 'refs/heads/main' });
    const { markdown } = provisioningSummary(doneRun(located, rerun(located)), {
      result: 'SucceededWithIssues',
      message: 'ready',
    });
    assert.match(markdown, /^\*\*Succeeded with issues\*\*: ready$/m);
    assert.match(
      markdown,
      /### Warnings\n\n- Input 'identityLocation' says 'northeurope', but the managed identity 'id\\-app1\\-dev' exists in 'westeurope'.*Set identityLocation to 'westeurope' or leave it empty/,
    );
    assert.match(markdown, /### Approvals and checks\n\n- created: the branch control check on the connection allowing 'refs\/heads\/main'/);
    assert.ok(markdown.includes('| **created** | branch control check | refs/heads/main | the connection |'));
  });

  it("in a sovereign cloud, links to that cloud's portal", () => {
    for (const [environment, url, portal] of [
      ['AzureUSGovernment', 'https://management.usgovcloudapi.net/', 'https://portal.azure.us/'],
      ['AzureChinaCloud', 'https://management.chinacloudapi.cn/', 'https://portal.azure.cn/'],
    ]) {
      const sovereign = request({}, { environment, url });
      const { markdown } = provisioningSummary(doneRun(sovereign, observed(sovereign, { project: PROJECT })), { result: 'Succeeded', message: 'ready' });
      const links = [...markdown.matchAll(/\]\(<(https:\/\/[^>]+)>\)/g)].map((match) => match[1]);
      assert.deepEqual(
        links.map((link) => new URL(link).origin),
        [portal.slice(0, -1), portal.slice(0, -1), 'https://dev.azure.com'],
        environment,
      );
      assert.ok(markdown.includes(`cloud ${environment}`));
    }
  });

  it('renders a hostile connection name as text: no HTML, no link, no extra table cell', () => {
    const hostile = request({ connectionName: HOSTILE });
    const { title, markdown } = provisioningSummary(doneRun(hostile, observed(hostile, { project: PROJECT })), {
      result: 'Succeeded',
      message: `Service connection '${HOSTILE}' is ready.`,
    });
    assert.equal(title, `Workload identity connection: ${HOSTILE}`, 'the attachment name is the plain name');
    const escaped = 'a\\|b &lt;img src=x onerror=alert\\(1\\)&gt; \\[x\\]\\(javascript:alert\\(1\\)\\)';
    assert.ok(markdown.startsWith(`## Workload identity connection: ${escaped}\n`), markdown.split('\n')[0]);
    const outsideCode = markdown.replace(/`[^`\n]*`/g, '');
    assert.doesNotMatch(outsideCode, /<img|\]\(javascript/i, 'no tag nor link outside code spans');
    for (const line of markdown.split('\n').filter((l) => l.startsWith('|'))) {
      const cells = line.replace(/\\\|/g, '').split('|').length - 2;
      assert.ok(cells === 4 || cells === 2, `a row of its table's width: ${line}`);
    }
    assert.ok(
      markdown.includes(`| \`serviceConnectionName\` | \`a\\|b <img src=x onerror=alert(1)> [x](javascript:alert(1))\` |`),
      'an output value in a code span',
    );
  });
});
