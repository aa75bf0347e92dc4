/**
 * The agent's network settings as a process gets them: NODE_EXTRA_CA_CERTS, which Node reads only at
 * start, against Agent.CAInfo; and the proxy's password, which the agent hands over as a secret variable
 * (SECRET_AGENT_PROXYPASSWORD) that task-lib reads. Routing through the proxy and its bypass list are
 * tested in process (tests/inprocess/agentNetwork.test.ts).
 */
import { strict as assert } from 'node:assert';
import { Emulator } from '../support/emulator';
import { runTask } from './harness';
import { useConnection } from '../support/useConnection';
import { assertNoSecretPrinted, succeeded } from '../support/scenarios';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
};
const CREDENTIALS = { username: 'agent-svc', password: 'pr0xy:p@ss/word' };

describe("the bundled task, spawned: the agent's proxy and certificates", function () {
  this.timeout(60_000);
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await Emulator.start({ proxy: CREDENTIALS });
  });
  afterEach(async () => {
    await emulator.stop();
  });

  it('goes through the proxy with the credentials the agent hands over, and masks the password', async () => {
    const run = await runTask(emulator, APP1_DEV, { variables: { 'System.Debug': 'true' } });
    succeeded(run);
    assertNoSecretPrinted(emulator, run);
    const upstream = emulator.proxy!.upstreamPorts();
    const direct = emulator.requests.filter((r) => r.service !== 'imds' && !upstream.has(r.remotePort ?? -1));
    assert.deepEqual(
      direct.map((r) => `${r.method} ${r.path}`),
      [],
      'every request came through the proxy',
    );
    assert.ok(emulator.proxy!.tunnels.length > 0 && emulator.proxy!.tunnels.every((t) => t.status === 200), 'every tunnel carried the credentials');
    assert.ok(run.secrets.includes(CREDENTIALS.password), 'the proxy password is masked');
    // task-lib's getVariable echoes Agent.ProxyPassword into the debug log; the agent masks it there, as it
    // masks every secret variable it handed over itself. Nothing else may show it.
    const shown = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('##vso[task.setsecret]') && !line.startsWith('##vso[task.debug]Agent.ProxyPassword='));
    assert.ok(!shown.some((line) => line.includes(CREDENTIALS.password)), 'and never printed by the task');
  });

  it("trusts the agent's CA file (Agent.CAInfo), behind the proxy too, without NODE_EXTRA_CA_CERTS", async () => {
    const untrusted = await runTask(emulator, APP1_DEV, { env: { NODE_EXTRA_CA_CERTS: undefined } });
    assert.equal(untrusted.result, 'Failed', 'without any CA setting the emulator is not trusted (control)');
    assert.match(untrusted.message ?? '', /certificate/i);
    assert.deepEqual(emulator.writes(), []);

    const run = await runTask(emulator, APP1_DEV, { env: { NODE_EXTRA_CA_CERTS: undefined, AGENT_CAINFO: emulator.caFile } });
    succeeded(run);
    assert.equal((await useConnection(emulator, run.outputs.serviceConnectionId)).status, 200);
  });
});
