/**
 * Odd inputs and bad service days, tried as a user would (issue 15): names with commas, quotes and unicode,
 * answers that are not what they claim, persistent 5xx, a broken bootstrap credential, re-runs that ask for
 * something the task will not change. Each case fails on one clear line naming the input or connection and
 * the fix, or succeeds saying what it did not do; none is silently misread.
 */
import { strict as assert } from 'node:assert';
import type { FaultRule } from '../support/emulator';
import { refused, unavailable } from '../support/emulator/faults';
import { createConnection, createIdentity } from '../support/admin';
import { assertConverged, failed, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

/** A sign-in page as a proxy or Entra ID serves it instead of the API's JSON. */
function htmlPage(service: 'devops' | 'arm' | 'graph', status: number): FaultRule {
  const body = `<!DOCTYPE html>
<html><head><title>Sign in to your account</title><script type="text/javascript">var $Config={"urlLogin":"https://login.microsoftonline.com/"};function go(){}</script>
<style>body{font-family:Segoe UI}</style></head>
<body><div class="banner">Sign in to your account</div><p>You need to sign in &amp; try again.</p></body></html>`;
  return { service, status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body };
}

const inputs = MANAGED_IDENTITY.inputs;

describe('odd inputs and bad service days (in-process)', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  describe('connection names are found exactly, case-insensitively, however they are spelled', () => {
    // One name per class: the comma (which the by-name lookup splits on), every other character a URL or an
    // OData filter treats specially, and non-Latin scripts.
    const NAMES = ['app1, dev', `it's "app" 100% #1 ?a&b/c`, 'アプリ 開発 Ünïcödé-dév'];
    for (const name of NAMES) {
      it(`re-runs of '${name}' find the connection the first run made and keep everything`, async () => {
        succeeded(await run(emulator, { ...inputs, connectionName: name }));
        const writes = emulator.writes().length;
        const again = await run(emulator, { ...inputs, connectionName: name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase() });
        succeeded(again);
        assert.equal(emulator.writes().length, writes, 'the re-run wrote nothing');
        assertConverged(emulator, MANAGED_IDENTITY, name);
      });
    }

    it('leading and trailing spaces: the name is trimmed alike on every run', async () => {
      succeeded(await run(emulator, { ...inputs, connectionName: '  app1 dev  ' }));
      const writes = emulator.writes().length;
      succeeded(await run(emulator, { ...inputs, connectionName: 'app1 dev' }));
      succeeded(await run(emulator, { ...inputs, connectionName: ' APP1 DEV' }));
      assert.equal(emulator.writes().length, writes, 'the re-runs wrote nothing');
      assertConverged(emulator, MANAGED_IDENTITY, 'app1 dev');
    });

    it("stops before any write when someone else's connection is named 'shared, prod'", async () => {
      await createConnection(emulator, 'shared, prod', '00000000-0000-0000-0000-00000000beef');
      const writes = emulator.writes().length;
      const outcome = await run(emulator, { ...inputs, connectionName: 'shared, prod' });
      failed(outcome, /^Could not reuse the service connection 'shared, prod': .*not the identity this task provisions.*Pick another connectionName/);
      assert.equal(emulator.writes().length, writes, 'nothing was written: no identity, no role on the subscription');
    });

    it("tells 'shared' from 'shared, prod' (a list lookup would split the name)", async () => {
      await createConnection(emulator, 'shared', '00000000-0000-0000-0000-00000000beef');
      await createConnection(emulator, 'prod', '00000000-0000-0000-0000-00000000beef');
      succeeded(await run(emulator, { ...inputs, connectionName: 'shared, prod' }));
      assertConverged(emulator, MANAGED_IDENTITY, 'shared, prod');
    });
  });

  describe('default identity names are distinct for distinct connection names and stable', () => {
    it("gives 'app 1' and 'app-1' identities of their own, and each re-run finds its own", async () => {
      const first = await run(emulator, { ...inputs, connectionName: 'app 1' });
      succeeded(first);
      const second = await run(emulator, { ...inputs, connectionName: 'app-1' });
      succeeded(second);
      assert.notEqual(first.outputs.clientId, second.outputs.clientId, 'two identities');
      const again = await run(emulator, { ...inputs, connectionName: 'app 1' });
      succeeded(again);
      assert.equal(again.outputs.clientId, first.outputs.clientId, 'the re-run found the same identity');
      assertConverged(emulator, MANAGED_IDENTITY, 'app 1');
      assertConverged(emulator, MANAGED_IDENTITY, 'app-1');
    });

    it('gives two all-Japanese connection names identities of their own', async () => {
      const first = await run(emulator, { ...inputs, connectionName: '本番' });
      succeeded(first);
      const second = await run(emulator, { ...inputs, connectionName: '開発' });
      succeeded(second);
      assert.notEqual(first.outputs.clientId, second.outputs.clientId);
      assert.ok(
        emulator.state().identities.every((i) => /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/.test(i.name)),
        'names within ARM rules',
      );
    });

    it('finds the identity an earlier version named without the hash, when it is tagged for this connection', async () => {
      const earlier = await run(emulator, { ...inputs, connectionName: 'app 1', identityName: 'id-app-1' });
      succeeded(earlier);
      const writes = emulator.writes().length;
      const again = await run(emulator, { ...inputs, connectionName: 'app 1' });
      succeeded(again);
      assert.equal(again.outputs.clientId, earlier.outputs.clientId);
      assert.equal(emulator.writes().length, writes, 'nothing new');
    });
  });

  describe('bounds hold in wall time across every layer of retry', () => {
    it('Microsoft Graph answering 500 on every call ends within the bound, with the service text', async () => {
      emulator.faults.add(unavailable('graph', 500, { times: Infinity }));
      const outcome = await run(emulator, { ...inputs, identityType: 'appRegistration' });
      failed(
        outcome,
        /gave up after waiting (2\d|3[0-2]) s for an answer from Microsoft Graph: General exception while processing \(HTTP 500, generalException.*Microsoft Graph kept failing/,
      );
      assert.ok(outcome.durationMs <= 40_000, `ended within the 30 s bound (${outcome.durationMs} ms)`);
      const graphCalls = emulator.requests.filter((r) => r.service === 'graph').length;
      assert.ok(graphCalls <= 12, `a bounded number of calls (${graphCalls})`);
    });
  });

  describe('an answer that is not what it claims is a service failure, never absence', () => {
    it('a 200 with an HTML page for the project is not "the project does not exist"', async () => {
      emulator.faults.add({ ...htmlPage('devops', 200), method: 'GET', path: /\/_apis\/projects\//, times: Infinity });
      const outcome = await run(emulator, inputs);
      failed(
        outcome,
        /^Could not read the project 'platform': Azure DevOps answered HTTP 200 with text\/html; charset=utf-8, not JSON: 'Sign in to your account.*' \(HTTP 200, UnreadableAnswer\)\. .*proxy/,
      );
      assert.doesNotMatch(outcome.message ?? '', /does not exist|<|>/);
      assert.deepEqual(emulator.writes(), [], 'nothing was written');
    });

    it('invalid JSON for the connection lookup is not "no such connection": nothing is created', async () => {
      succeeded(await run(emulator, inputs));
      const writes = emulator.writes().length;
      emulator.faults.add({
        service: 'devops',
        method: 'GET',
        path: /\/_apis\/serviceendpoint\/endpoints\?/,
        status: 200,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: '{"count":1,"value":[{"id":',
        times: Infinity,
      });
      const outcome = await run(emulator, inputs);
      failed(
        outcome,
        /^Could not look up the service connection 'app1-dev' in project 'platform': Azure DevOps answered HTTP 200 with application\/json; charset=utf-8, not JSON: '\{"count":1,"value":\[\{"id":'/,
      );
      assert.equal(emulator.writes().length, writes, 'nothing was written');
    });

    it('a 200 with an HTML page from Microsoft Graph for the application is a failure naming it, and nothing is created', async () => {
      emulator.faults.add({ ...htmlPage('graph', 200), method: 'GET', path: /\/applications\(uniqueName=/, times: Infinity });
      const outcome = await run(emulator, { ...inputs, identityType: 'appRegistration' });
      failed(outcome, /Microsoft Graph answered HTTP 200 with text\/html; charset=utf-8, not JSON: 'Sign in to your account/);
      assert.deepEqual(emulator.writes(), [], 'nothing was written');
    });

    it('a 200 with an HTML page from Azure Resource Manager is a failure naming it', async () => {
      emulator.faults.add({ ...htmlPage('arm', 200), method: 'GET', path: /^\/subscriptions\/[^/]+\?/, times: Infinity });
      const outcome = await run(emulator, inputs);
      failed(
        outcome,
        /^Could not read the subscription '[^']+': Azure Resource Manager answered HTTP 200 with text\/html; charset=utf-8, not JSON: 'Sign in to your account/,
      );
      assert.deepEqual(emulator.writes(), [], 'nothing was written');
    });
  });

  describe('one-line errors carry no markup', () => {
    it('a 401 with a sign-in page keeps the status, the words and the hint, without the page', async () => {
      emulator.faults.add({ ...htmlPage('devops', 401), method: 'GET', path: /\/_apis\/projects\//, times: Infinity });
      const outcome = await run(emulator, inputs);
      failed(outcome, /^Could not read the project 'platform': .*Sign in to your account.*\(HTTP 401.*\)\. Azure DevOps refused the credential of devOpsAuth/);
      assert.doesNotMatch(outcome.message ?? '', /<|>|function\(|\{/, 'no tags, no script');
      assert.ok((outcome.message ?? '').length < 900, 'one readable line');
    });
  });

  describe("a broken bootstrap credential is blamed on the bootstrap connection's sign-in, with the fix in Entra ID", () => {
    // The emulator's Entra answers for a token no federated credential matches (entra.ts checkFederatedAssertion).
    const CODES: [number, string][] = [
      [
        70021,
        "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://example/iss'. Assertion Subject: 'sc://x'.",
      ],
      [
        700213,
        "AADSTS700213: No matching federated identity record found for presented assertion subject 'sc://x'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
      ],
      [70025, 'AADSTS70025: The client has no configured federated identity credentials.'],
    ];
    for (const [code, description] of CODES) {
      it(`AADSTS${code} names the bootstrap connection, the issuer and subject to register, and never says re-run`, async () => {
        emulator.faults.add({
          service: 'login',
          method: 'POST',
          path: /\/oauth2\/v2\.0\/token/,
          status: 401,
          body: { error: 'invalid_client', error_description: description, error_codes: [code] },
          times: Infinity,
        });
        const outcome = await run(emulator, inputs);
        const { bootstrap, tenantId } = emulator.world;
        failed(
          outcome,
          new RegExp(
            `^The bootstrap connection 'platform-bootstrap' could not sign in to Entra ID: AADSTS${code}\\b.*\\(.*AADSTS${code}.*\\)\\. .*app registration or managed identity with client id ${bootstrap.clientId} in tenant ${tenantId}.*federated credential with issuer '[^']+' and subject '[^']+'`,
          ),
        );
        assert.doesNotMatch(outcome.message ?? '', /re-run|rerun|Could not read the subscription/i);
        assert.deepEqual(emulator.writes(), [], 'nothing was written');
      });
    }
  });

  describe('a re-run that asks for something the task will not change warns (SucceededWithIssues)', () => {
    it("an identity in 'eastus' when identityLocation now says 'westeurope'", async () => {
      succeeded(await run(emulator, { ...inputs, identityLocation: 'eastus' }));
      const writes = emulator.writes().length;
      const again = await run(emulator, { ...inputs, identityLocation: 'westeurope' });
      assert.equal(again.result, 'SucceededWithIssues', again.stdout);
      assert.match(
        again.stdout,
        /##vso\[task\.issue type=warning;\]Input 'identityLocation' says 'westeurope', but the managed identity 'id-app1-dev' exists in 'eastus'.*Set identityLocation to 'eastus' or leave it empty/,
      );
      assert.match(again.message ?? '', /is ready and verified\. One warning: Input 'identityLocation'/);
      assert.equal(emulator.writes().length, writes, 'nothing was changed');
    });

    it('an unchanged re-run, and one that leaves identityLocation empty, succeed without a warning', async () => {
      succeeded(await run(emulator, { ...inputs, identityLocation: 'eastus' }));
      succeeded(await run(emulator, { ...inputs, identityLocation: 'eastus' }));
      succeeded(await run(emulator, inputs));
    });

    it('a connection still shared with a project shareWithProjects no longer lists', async () => {
      const second = emulator.world.secondProject.name;
      succeeded(await run(emulator, { ...inputs, shareWithProjects: second }));
      const again = await run(emulator, inputs);
      assert.equal(again.result, 'SucceededWithIssues', again.stdout);
      assert.match(
        again.message ?? '',
        new RegExp(`Input 'shareWithProjects' does not list '${second}', which the service connection 'app1-dev' is shared with; this task never unshares`),
      );
    });
  });

  describe('"Checked:" only for checks that happened', () => {
    it('a region lookup that is refused says "Not checked"', async () => {
      emulator.faults.add({ ...refused('arm'), method: 'GET', path: /\/providers\/Microsoft\.ManagedIdentity\?/i, times: Infinity });
      const outcome = await run(emulator, { ...inputs, identityLocation: 'westeurope' });
      succeeded(outcome);
      assert.match(outcome.stdout, /^Not checked: whether region 'westeurope' offers user-assigned managed identities \(.*HTTP 403\)/m);
      assert.doesNotMatch(outcome.stdout, /^Checked: region/m);
    });

    it('a region lookup that answers says "Checked"', async () => {
      const outcome = await run(emulator, { ...inputs, identityLocation: 'westeurope' });
      succeeded(outcome);
      assert.match(outcome.stdout, /^Checked: region 'westeurope' offers user-assigned managed identities\.$/m);
    });

    it('a dry run whose permission checks could not run ends SucceededWithIssues with the reason', async () => {
      emulator.faults.add({ ...refused('arm'), method: 'GET', path: /\/providers\/Microsoft\.Authorization\/permissions\?/i, times: Infinity });
      const outcome = await run(emulator, { ...inputs, dryRun: 'true' });
      assert.equal(outcome.result, 'SucceededWithIssues', outcome.stdout);
      assert.match(
        outcome.message ?? '',
        /^Dry run: nothing was written\..*The bootstrap identity's permissions at \/subscriptions\/[^ ]+\/resourceGroups\/rg-identities could not be read, so a run may still be refused there\./,
      );
      assert.deepEqual(emulator.writes(), []);
    });
  });

  describe('every failure line names the input or connection, the service words and what to do', () => {
    it('an organization URL whose host does not resolve names organizationUrl', async () => {
      const outcome = await run(emulator, { ...inputs, organizationUrl: 'https://fakeorg.invalid/' });
      failed(
        outcome,
        /^Input 'organizationUrl' 'https:\/\/fakeorg\.invalid\/': the host 'fakeorg\.invalid' could not be found \(getaddrinfo (ENOTFOUND|EAI_AGAIN)[^)]*\); use this pipeline's organization, \$\(System\.CollectionUri\)/,
      );
      assert.deepEqual(emulator.writes(), []);
    });

    it('a project given by its id is shown by its name', async () => {
      const outcome = await run(emulator, { ...inputs, project: emulator.world.project.id });
      succeeded(outcome);
      assert.ok(!outcome.stdout.split('\n').some((line) => !line.startsWith('##vso') && line.includes(emulator.world.project.id)), outcome.stdout);
      assert.match(outcome.stdout, /^Checked: the permissions on service connections in project 'platform'\.$/m);
    });

    it('a 500 on every Azure Resource Manager read carries the correlation id and the advice', async () => {
      emulator.faults.add({
        ...unavailable('arm', 500),
        method: 'GET',
        headers: { 'x-ms-correlation-request-id': '0f1e2d3c-4b5a-4968-8776-655443322110' },
        times: Infinity,
      });
      const outcome = await run(emulator, inputs);
      failed(
        outcome,
        /gave up after waiting \d+ s for Azure Resource Manager: Encountered internal server error.*\(HTTP 500, InternalServerError, correlation id 0f1e2d3c-4b5a-4968-8776-655443322110\)\. Azure Resource Manager kept failing; re-run the task later/,
      );
    });

    it('an Azure Resource Manager URL in the bootstrap connection whose host does not resolve names that connection', async () => {
      const id = emulator.world.bootstrap.connectionId;
      const outcome = await run(emulator, inputs, {
        env: { [`ENDPOINT_URL_${id}`]: 'https://management.nohost.invalid/', [`ENDPOINT_DATA_${id}_RESOURCEMANAGERURL`]: 'https://management.nohost.invalid/' },
      });
      failed(
        outcome,
        /^Input 'bootstrapConnection' names a service connection whose host 'management\.nohost\.invalid' .*could not be found .*check the connection's environment/,
      );
      assert.deepEqual(emulator.writes(), []);
    });

    it('a bootstrap connection whose data the agent did not hand over says so, not "scheme \'\'"', async () => {
      const id = emulator.world.bootstrap.connectionId;
      const outcome = await run(emulator, inputs, {
        env: { [`ENDPOINT_AUTH_${id}`]: undefined, [`ENDPOINT_AUTH_SCHEME_${id}`]: undefined, [`ENDPOINT_URL_${id}`]: undefined },
      });
      failed(
        outcome,
        /^Input 'bootstrapConnection' names the service connection '[0-9a-f-]+', whose details this job did not receive: .*Azure Resource Manager.*Pipeline permissions/,
      );
      assert.doesNotMatch(outcome.message ?? '', /scheme ''/);
    });
  });

  void createIdentity;
});
