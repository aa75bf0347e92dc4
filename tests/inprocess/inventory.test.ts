/**
 * action: inventory (issue 20), whole runs in process over the emulator's seeded fleet (EmulatorOptions.fleet):
 * every finding of the vocabulary, both scopes, a project and Graph that refuse to be read, throttling and
 * the rate-limit headers, failOn; the report validated against the vendored schema.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { validateInventoryReport } from '../support/inventorySchema';
import { printed } from '../support/scenarios';
import { throttled } from '../support/emulator/faults';
import { Emulator, type TaskRun } from './harness';
import { run } from './runs';

const ORGANIZATION = { action: 'inventory', bootstrapConnection: 'platform-bootstrap', inventoryScope: 'organization', devOpsAuth: 'bootstrapIdentity' };

interface Report {
  connections: {
    name: string;
    project: string;
    sharedWith: string[];
    issuerKind: string | null;
    findings: { code: string; severity: string; message: string; fix: string }[];
  }[];
  projects: string[];
  summary: { connections: number; findings: Record<string, number>; unreadProjects: string[] };
}

function report(result: TaskRun): Report {
  const path = result.outputs.reportPath;
  assert.ok(path, `a reportPath output:\n${printed(result)}`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Report;
  validateInventoryReport(parsed);
  return parsed;
}

function findingsOf(parsed: Report, name: string): string[] {
  const connection = parsed.connections.find((c) => c.name === name);
  assert.ok(connection, `the report holds '${name}'`);
  return connection.findings.map((f) => `${f.code}:${f.severity}`).sort();
}

describe('action inventory, whole runs in process over the seeded fleet', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  afterEach(async () => {
    await emulator?.stop();
  });

  it('reads the whole organization and finds every kind of finding, each connection once under its owning project', async () => {
    emulator = await Emulator.start({ fleet: {}, recorded: { pageSize: 2 } });
    const result = await run(emulator, ORGANIZATION);
    assert.equal(result.result, 'SucceededWithIssues', printed(result));
    const parsed = report(result);
    assert.deepEqual(parsed.projects.sort(), ['app1', 'fleet-a', 'fleet-b', 'platform']);
    assert.deepEqual(findingsOf(parsed, 'wif-mi-entra'), []);
    assert.deepEqual(findingsOf(parsed, 'wif-app-entra'), []);
    assert.deepEqual(findingsOf(parsed, 'platform-bootstrap'), []);
    assert.deepEqual(findingsOf(parsed, 'wif-mi-devops'), ['azureDevOpsIssuer:warning']);
    assert.deepEqual(findingsOf(parsed, 'wif-app-devops'), ['azureDevOpsIssuer:warning']);
    assert.deepEqual(findingsOf(parsed, 'wif-app-no-credential'), ['federatedCredentialMissing:error']);
    assert.deepEqual(findingsOf(parsed, 'disabled-wif'), ['disabled:warning']);
    assert.deepEqual(findingsOf(parsed, 'failed-wif'), ['notReady:error']);
    assert.deepEqual(findingsOf(parsed, 'orphaned-wif'), ['identityNotFound:error']);
    assert.deepEqual(findingsOf(parsed, 'multitenant-devops'), ['azureDevOpsIssuer:info', 'multiTenantApp:warning']);
    assert.deepEqual(findingsOf(parsed, 'sovereign-devops'), ['azureDevOpsIssuer:info']);
    assert.deepEqual(findingsOf(parsed, 'unused-wif'), ['unused:warning']);
    assert.deepEqual(findingsOf(parsed, 'never-used-wif'), ['unused:warning']);
    assert.deepEqual(findingsOf(parsed, 'secret-automatic'), ['secret:warning', 'secretExpiresSoon:warning']);
    assert.deepEqual(findingsOf(parsed, 'secret-manual-expired'), ['secret:warning', 'secretExpired:error']);
    assert.deepEqual(findingsOf(parsed, 'certificate-manual'), ['certificate:info']);
    assert.deepEqual(findingsOf(parsed, 'publish-profile'), []);
    assert.ok(!parsed.connections.some((c) => c.name === 'github-not-azurerm'), 'only AzureRM connections');
    const shared = parsed.connections.filter((c) => c.name === 'shared-wif');
    assert.equal(shared.length, 1);
    assert.deepEqual([shared[0].project, shared[0].sharedWith], ['fleet-a', ['fleet-b']]);
    assert.equal(result.outputs.connectionCount, String(parsed.connections.length));
    assert.equal(result.outputs.findingCount, String(parsed.connections.reduce((n, c) => n + c.findings.length, 0)));
    for (const finding of parsed.connections.flatMap((c) => c.findings)) assert.match(finding.message, /^Service connection '/);
    const summary = result.summaries.join('\n');
    if (process.env.SHOW_INVENTORY) console.log(summary, printed(result));
    assert.match(summary, /### Connections with findings/);
    assert.match(summary, /### Migrate first/);
  });

  it("reads the project input's connections alone (project scope), shared ones under their owner; failOn fails the run, report and outputs set", async () => {
    emulator = await Emulator.start({ fleet: {} });
    const result = await run(emulator, { ...ORGANIZATION, inventoryScope: 'project', project: 'fleet-b', failOn: 'secretExpired\nnotReady' });
    assert.equal(result.result, 'Failed', printed(result));
    assert.match(result.message ?? '', /failOn lists secretExpired, notReady, which the inventory found/);
    const parsed = report(result);
    assert.deepEqual(parsed.projects, ['fleet-b']);
    assert.ok(parsed.connections.every((c) => c.project === 'fleet-b' || c.name === 'shared-wif'));
    assert.equal(parsed.connections.find((c) => c.name === 'shared-wif')?.project, 'fleet-a');
    assert.ok(!emulator.requests.some((r) => r.service === 'devops' && /\/_apis\/projects(\?|$)/.test(r.path)), 'the projects are not listed');
  });

  it('an answer that is not JSON is a failure of the service, never "not found" nor "unreadable": an HTML page for the projects\' connections after the first, then for Graph\'s $batch', async () => {
    const page = {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
      body: '<!DOCTYPE html><html><body><p>Sign in to your account</p></body></html>',
    };
    emulator = await Emulator.start({ fleet: {} });
    emulator.faults.add({ service: 'devops', ...page, path: /\/_apis\/serviceendpoint\/endpoints\?/, skip: 1, times: Infinity });
    const devops = await run(emulator, ORGANIZATION);
    assert.equal(devops.result, 'Failed', printed(devops));
    assert.match(devops.message ?? '', /HTTP 200.*text\/html.*Sign in to your account/);
    assert.doesNotMatch(devops.message ?? '', /<|not found/i, 'no markup, and no absence');
    emulator.faults.clear();
    emulator.faults.add({ service: 'graph', ...page, path: /\$batch/, times: Infinity });
    const graph = await run(emulator, ORGANIZATION);
    assert.equal(graph.result, 'Failed', printed(graph));
    assert.match(graph.message ?? '', /HTTP 200.*text\/html/);
    assert.doesNotMatch(graph.message ?? '', /<|identityNotFound|unreadable/);
  });

  it('what it may not read is unreadable, never a failure: a refused project, Graph without Application.Read.All; throttling and delays honoured, 16 in flight at most', async () => {
    emulator = await Emulator.start({ fleet: {}, unreadableProjects: ['fleet-a'], graphPermissions: [], devopsRateLimitDelaySeconds: 0.2 });
    emulator.faults.add(throttled('devops', 3, { path: /executionhistory/, times: 5 }));
    const result = await run(emulator, ORGANIZATION);
    assert.equal(result.result, 'SucceededWithIssues', printed(result));
    const parsed = report(result);
    assert.deepEqual(parsed.summary.unreadProjects, ['fleet-a']);
    assert.match(
      printed(result),
      /Could not read the project 'fleet-a' \(HTTP 403 .*\); grant the Reader role on service connections in the project 'fleet-a'/,
    );
    const orphan = parsed.connections.find((c) => c.name === 'orphaned-wif')!;
    assert.deepEqual(
      orphan.findings.map((f) => f.code),
      ['unreadable'],
      'a refused Graph is not "not found"',
    );
    assert.match(orphan.findings[0].fix, /Application\.Read\.All/);
    assert.ok(!parsed.connections.some((c) => c.findings.some((f) => f.code === 'identityNotFound' || f.code === 'federatedCredentialMissing')));
    assert.ok(
      parsed.connections.filter((c) => !/used/.test(c.name)).every((c) => !c.findings.some((f) => f.code === 'unused')),
      'the throttled reads were retried',
    );
    const peak = /at most (\d+) at once/.exec(printed(result));
    assert.ok(peak && Number(peak[1]) <= 16, printed(result));
    const log = emulator.requests;
    const refused = log.filter((r) => r.status === 429);
    assert.equal(refused.length, 5);
    for (const entry of refused) {
      const again = log.find((r) => r.path === entry.path && r.startedAt > entry.startedAt);
      assert.ok(again && again.startedAt - entry.endedAt >= 3000, `Retry-After honoured for ${entry.path}`);
    }
  });

  it('verifies each connection when asked (inventoryVerify), all within verifyTimeoutSeconds', async () => {
    emulator = await Emulator.start({ fleet: {} });
    const result = await run(emulator, { ...ORGANIZATION, inventoryScope: 'project', project: 'fleet-a', inventoryVerify: 'true', verifyTimeoutSeconds: '60' });
    const parsed = report(result);
    assert.deepEqual(findingsOf(parsed, 'wif-mi-entra'), []);
    assert.deepEqual(findingsOf(parsed, 'wif-app-no-credential'), ['federatedCredentialMissing:error', 'verifyFailed:error']);
    assert.match(parsed.connections.find((c) => c.name === 'wif-app-no-credential')!.findings[1].message, /AADSTS/);
    assert.ok(!emulator.requests.some((r) => /endpointproxy/.test(r.path) && /disabled/.test(r.path)));
  });
});
