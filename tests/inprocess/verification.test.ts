/**
 * Verification (issue 12): every run ends by asking Azure DevOps to verify the connection through the
 * service endpoint proxy, and the emulated proxy does what Azure DevOps does (an OIDC token for the
 * connection, the exchange at the emulated Entra ID, the ARM read of the connection's scope), so a run that
 * ends "verified" has had its federated credential and role assignment honoured by the emulated services.
 */
import { strict as assert } from 'node:assert';
import { connectionNotVisible } from '../support/emulator/faults';
import { failed, IDENTITY_SCENARIOS, printed, succeeded, type IdentityScenario } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';
import type { TaskRun } from './harness';

const PROXY = /\/_apis\/serviceendpoint\/endpointproxy\?/i;

function proxyRequests(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.service === 'devops' && r.method === 'POST' && PROXY.test(r.path)).length;
}

/** The seconds the Verified line reports. */
function verifiedAfter(run: TaskRun): number {
  const match = /Verified: .* after (\d+) s \((\d+) requests?\)/.exec(printed(run));
  assert.ok(match, `a Verified line:\n${printed(run)}`);
  return Number(match[1]);
}

/** The federated credentials that trust tokens for the scenario's identity, as issuer and subject pairs by name. */
function credentials(emulator: Emulator, scenario: IdentityScenario): Map<string, string> {
  const state = emulator.state();
  const pairs = new Map<string, string>();
  if (scenario.identityType === 'managedIdentity') {
    for (const c of state.federatedCredentials) pairs.set(c.name, `${c.properties.issuer} ${c.properties.subject}`);
  } else {
    for (const a of state.applications.filter((app) => app.displayName === 'azure-devops-app1-dev'))
      for (const c of a.federatedIdentityCredentials) pairs.set(c.name, `${c.issuer} ${c.subject}`);
  }
  return pairs;
}

describe('verification through Azure DevOps, whole runs in process', function () {
  this.timeout(120_000);
  let emulator: Emulator;
  afterEach(async () => {
    await emulator?.stop();
  });

  for (const scenario of IDENTITY_SCENARIOS) {
    describe(scenario.identityType, () => {
      it('a fresh run ends verified: who signed in, what was reached, with one proxy request', async () => {
        emulator = await Emulator.start();
        const result = await run(emulator, scenario.inputs);
        succeeded(result);
        assert.match(result.message ?? '', /is ready and verified/);
        const who = scenario.identityType === 'managedIdentity' ? "managed identity 'id-app1-dev'" : "application 'azure-devops-app1-dev'";
        assert.match(
          printed(result),
          new RegExp(`Verified: Azure DevOps signed in to Entra ID as ${who} \\(client id [0-9a-f-]{36}\\).*resource group 'rg-app1-dev'`),
        );
        assert.equal(proxyRequests(emulator), 1);
        const answer = emulator.requests.find((r) => PROXY.test(r.path));
        assert.equal(answer?.status, 200);
      });

      it('waits out a federated credential and a role assignment that take a while to be honoured, then verifies', async () => {
        emulator = await Emulator.start({ federatedCredentialPropagationMs: 20_000, roleAssignmentPropagationMs: 40_000 });
        const result = await run(emulator, scenario.inputs);
        succeeded(result);
        const out = printed(result);
        // A credential that has not propagated is no credential to Entra ID yet: AADSTS70025 (tests/fixtures/recordings/entra-token-fic-mismatch.json).
        assert.match(out, /Waiting for Entra ID to accept the federated credential \(Azure DevOps answered AADSTS70025\)/);
        assert.match(out, /Waiting for Azure Resource Manager to honour the role assignment \(Azure DevOps answered AuthorizationFailed\)/);
        const seconds = verifiedAfter(result);
        assert.ok(seconds >= 39 && seconds <= 1.2 * 40 + 2, `verified after ${seconds} s, within 1.2 × 40 s + 2 s`);
        assert.ok(proxyRequests(emulator) <= 20, `${proxyRequests(emulator)} proxy requests`);
      });

      it('fails at the bound when the federated credential is never accepted, explaining the AADSTS code, and removes nothing', async () => {
        emulator = await Emulator.start({ federatedCredentialPropagationMs: 1e9 });
        const result = await run(emulator, { ...scenario.inputs, verifyTimeoutSeconds: '60' });
        failed(
          result,
          /^Could not verify the service connection 'app1-dev': gave up after waiting 60 s for Azure DevOps to verify the connection: Azure DevOps answered: Failed to obtain the Json Web Token\(JWT\) using service principal client ID\. Exception message: AADSTS70025: .*\(AADSTS70025\)\. Entra ID sees no federated credential on the identity: .*propagate.*re-run the task/,
        );
        assert.ok(result.durationMs <= 61_000, `gave up within the bound: ${result.durationMs} ms`);
        assert.equal(emulator.state().serviceConnections.filter((c) => c.name === 'app1-dev').length, 1, 'the connection stays');
        assert.equal(credentials(emulator, scenario).size, 1, 'the credential stays');
        assert.ok(result.outputs.serviceConnectionId, 'the outputs are set before verification');
      });

      it("fails at the bound naming ARM's answer when the role assignment is never honoured", async () => {
        emulator = await Emulator.start({ roleAssignmentPropagationMs: 1e9 });
        const result = await run(emulator, { ...scenario.inputs, verifyTimeoutSeconds: '30' });
        failed(
          result,
          /gave up after waiting 30 s for Azure DevOps to verify the connection: Azure DevOps answered: Failed to query service connection API: '.*resourceGroups\/rg-app1-dev.*'\. Status Code: 'Forbidden'.*AuthorizationFailed.*does not have authorization to perform action 'Microsoft\.Resources\/subscriptions\/resourceGroups\/read'.*\(AuthorizationFailed\)\. Azure Resource Manager does not honour a role for the connection's identity/i,
        );
        assert.equal(emulator.state().roleAssignments.filter((a) => /rg-app1-dev/i.test(a.properties.scope)).length, 1, 'the role assignment stays');
      });

      it('a re-run after Azure DevOps moved the connection to a new issuer adds the credential for the new pair, keeps the old one, and verifies', async () => {
        emulator = await Emulator.start({ connectionIssuer: 'devops' });
        const first = await run(emulator, scenario.inputs);
        succeeded(first);
        const before = credentials(emulator, scenario);
        assert.equal(before.size, 1);
        assert.match([...before.values()][0], /^https:\/\/vstoken\.dev\.azure\.com\/[0-9a-f-]{36} sc:\/\/contoso\/[^/]+\/app1-dev$/);

        const id = first.outputs.serviceConnectionId;
        emulator.moveConnectionToEntraIssuer(id);
        const second = await run(emulator, scenario.inputs);
        succeeded(second);
        assert.match(
          printed(second),
          /Created: federated credential .* \(Azure DevOps moved the connection to issuer 'https:\/\/[^']+\/v2\.0'; the credential for the old one stays\)/,
        );
        assert.match(printed(second), /Verified: /);
        const after = credentials(emulator, scenario);
        assert.equal(after.size, 2, 'the old credential stays beside the new one');
        const [oldName, oldPair] = [...before.entries()][0];
        assert.equal(after.get(oldName), oldPair, 'the old credential is unchanged');
        const added = [...after.entries()].find(([name]) => name !== oldName);
        assert.ok(added && added[0].startsWith(`${oldName}-`), `the new credential has a name of its own: ${added?.[0]}`);
        assert.equal(added[1], `${second.outputs.workloadIdentityIssuer} ${second.outputs.workloadIdentitySubject}`);

        const third = await run(emulator, scenario.inputs);
        succeeded(third);
        assert.equal(credentials(emulator, scenario).size, 2, 'a further re-run adds nothing');
        assert.match(printed(third), /Kept: federated credential/);
      });
    });
  }

  it('a re-run that keeps everything verifies the existing connection again', async () => {
    emulator = await Emulator.start();
    succeeded(await run(emulator, IDENTITY_SCENARIOS[0].inputs));
    const writes = emulator.writes().length;
    const again = await run(emulator, IDENTITY_SCENARIOS[0].inputs);
    succeeded(again);
    assert.equal(emulator.writes().length, writes, 'nothing written');
    assert.match(printed(again), /Verified: /);
    assert.equal(proxyRequests(emulator), 2);
  });

  it('verifyConnection false sends no proxy request', async () => {
    emulator = await Emulator.start();
    const result = await run(emulator, { ...IDENTITY_SCENARIOS[0].inputs, verifyConnection: 'false' });
    succeeded(result);
    assert.match(result.message ?? '', /is ready\.$/);
    assert.equal(proxyRequests(emulator), 0);
    assert.doesNotMatch(printed(result), /Verified/);
  });

  it('a dry run sends no proxy request and says what a run would verify', async () => {
    emulator = await Emulator.start();
    const result = await run(emulator, { ...IDENTITY_SCENARIOS[1].inputs, dryRun: 'true' });
    succeeded(result);
    assert.equal(proxyRequests(emulator), 0);
    assert.match(
      printed(result),
      /Would verify: Azure DevOps signs in with the connection and reaches resource group 'rg-app1-dev'.*\(waiting up to 300 s\); a dry run does not ask it\./,
    );
  });

  it('a build service identity that may not use the connection fails with the fix, and the connection stays', async () => {
    emulator = await Emulator.start();
    const first = await run(emulator, { ...IDENTITY_SCENARIOS[0].inputs, verifyConnection: 'false' });
    succeeded(first);
    // Another identity made the connection, and the job's identity is only a Reader now: it may see it, not use it.
    emulator.changeConnection(first.outputs.serviceConnectionId, { creator: 'platformAdmin' });
    emulator.configure({ buildServiceRole: 'Reader' });
    const result = await run(emulator, IDENTITY_SCENARIOS[0].inputs);
    failed(
      result,
      /Could not verify the service connection 'app1-dev': You do not have permission to use the service connection .*\(HTTP 403.*give it the User role on the connection/,
    );
  });

  it('a connection the identity of devOpsAuth may not see (404 from the proxy) fails at once, naming the 404 and the role', async () => {
    emulator = await Emulator.start();
    emulator.faults.add(connectionNotVisible({ method: 'POST', path: PROXY, times: Infinity }));
    const result = await run(emulator, IDENTITY_SCENARIOS[0].inputs);
    failed(
      result,
      /^Could not verify the service connection 'app1-dev': Service connection with id [0-9a-f-]+ not found \(HTTP 404, ServiceEndpointNotFoundException\)\. Azure DevOps does not show the connection to the identity of devOpsAuth.*User role on the connection.*verifyConnection to false$/,
    );
    assert.equal(proxyRequests(emulator), 1, 'asked once, not until the bound');
  });

  it('a bad verifyTimeoutSeconds is refused before any request', async () => {
    emulator = await Emulator.start();
    const result = await run(emulator, { ...IDENTITY_SCENARIOS[0].inputs, verifyTimeoutSeconds: '0' });
    failed(result, /^Input 'verifyTimeoutSeconds' has the value '0'; use a whole number of seconds from 1 to 3600 \(default 300\)\.$/);
    assert.equal(emulator.requests.length, 0);
  });
});
