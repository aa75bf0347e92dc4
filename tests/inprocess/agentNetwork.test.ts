/**
 * The agent's network, whole runs in process (the fake agent hands the task the agent's proxy and CA
 * settings as task-lib reads them; the spawned tier's agentNetwork.test.ts checks them in a process of its own): every client goes through the agent's proxy (with its credentials,
 * honouring its bypass list), the instance metadata endpoint never does, and the agent's CA file
 * (Agent.CAInfo) is trusted without NODE_EXTRA_CA_CERTS. The proxy (tests/support/emulator/proxy.ts) logs each
 * tunnel's upstream port; the emulator logs each request's client port: a request whose port is not one
 * of the proxy's did not come through it.
 */
import { strict as assert } from 'node:assert';
import { type EmulatorOptions } from '../support/emulator';
import { useConnection } from '../support/useConnection';
import { succeeded } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
};
const CREDENTIALS = { username: 'agent-svc', password: 'pr0xy:p@ss/word' };

describe("the agent's proxy and certificates, whole runs in process", function () {
  this.timeout(60_000);
  let emulator: Emulator | undefined;
  const start = async (options: EmulatorOptions): Promise<Emulator> => (emulator = await Emulator.start(options));
  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  it('sends every request of every client through the proxy, with its credentials', async () => {
    const emu = await start({ proxy: CREDENTIALS });
    const run = await runInProcess(emu, APP1_DEV);
    succeeded(run);
    const proxy = emu.proxy!;
    const upstream = proxy.upstreamPorts();
    const served = emu.requests.filter((r) => r.service !== 'imds');
    for (const service of ['login', 'arm', 'devops'] as const) {
      const requests = served.filter((r) => r.service === service);
      assert.ok(requests.length > 0, `the task called ${service}`);
      const direct = requests.filter((r) => !upstream.has(r.remotePort ?? -1));
      assert.deepEqual(
        direct.map((r) => `${r.method} ${r.path}`),
        [],
        `every ${service} request came through the proxy`,
      );
    }
    assert.ok(
      proxy.tunnels.every((t) => t.status === 200),
      'no tunnel was refused: every client sent the credentials',
    );
    assert.deepEqual(proxy.plainRequests, []);
    assert.ok(run.secrets.includes(CREDENTIALS.password), 'the proxy password is masked');
    assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
  });

  it('goes direct to the hosts the bypass list matches, and through the proxy elsewhere', async () => {
    const emu = await start({ proxy: CREDENTIALS });
    const devopsPort = new URL(emu.world.organization.url).port;
    // Agent.ProxyBypassList: regular expressions matched against the whole URL (task-lib, typed-rest-client).
    const run = await runInProcess(emu, APP1_DEV, { env: { AGENT_PROXYBYPASSLIST: JSON.stringify([`127\\.0\\.0\\.1:${devopsPort}/contoso`]) } });
    succeeded(run);
    const upstream = emu.proxy!.upstreamPorts();
    const viaProxy = (service: string): boolean[] => emu.requests.filter((r) => r.service === service).map((r) => upstream.has(r.remotePort ?? -1));
    assert.ok(viaProxy('devops').length > 0 && viaProxy('devops').every((v) => !v), 'Azure DevOps went direct');
    assert.ok(viaProxy('arm').every((v) => v) && viaProxy('login').every((v) => v), 'Entra ID and ARM went through the proxy');
    assert.ok(!emu.proxy!.tunnels.some((t) => t.target.endsWith(`:${devopsPort}`)), 'no tunnel to Azure DevOps');
  });

  it("never sends the managed identity's metadata request through the proxy", async () => {
    const emu = await start({ proxy: CREDENTIALS, bootstrapScheme: 'ManagedServiceIdentity' });
    const run = await runInProcess(emu, APP1_DEV);
    succeeded(run);
    const upstream = emu.proxy!.upstreamPorts();
    const metadata = emu.requests.filter((r) => r.service === 'imds');
    assert.ok(metadata.length > 0 && metadata.every((r) => !upstream.has(r.remotePort ?? -1)), 'the metadata endpoint was reached directly');
    assert.deepEqual(emu.proxy!.plainRequests, [], 'no plain-HTTP request reached the proxy');
    assert.ok(
      emu.requests.filter((r) => r.service === 'arm').every((r) => upstream.has(r.remotePort ?? -1)),
      'ARM still went through the proxy',
    );
  });

  it('fails in one line that names the proxy when it refuses the credentials', async () => {
    const emu = await start({ proxy: CREDENTIALS });
    const run = await runInProcess(emu, APP1_DEV, { env: { SECRET_AGENT_PROXYPASSWORD: 'not-the-password' } });
    assert.equal(run.result, 'Failed');
    assert.match(run.message ?? '', /HTTP 407.*The agent's proxy refused its credentials/);
    assert.ok(emu.proxy!.tunnels.some((t) => t.status === 407));
    assert.deepEqual(emu.requests, [], 'nothing reached the services');
  });

  it("trusts the agent's CA file (Agent.CAInfo), behind the proxy too, without NODE_EXTRA_CA_CERTS", async () => {
    const emu = await start({ proxy: CREDENTIALS });
    const untrusted = await runInProcess(emu, APP1_DEV, { env: { NODE_EXTRA_CA_CERTS: undefined } });
    assert.equal(untrusted.result, 'Failed', 'without any CA setting the emulator is not trusted (control)');
    assert.match(untrusted.message ?? '', /certificate/i);
    assert.deepEqual(emu.writes(), []);

    const run = await runInProcess(emu, APP1_DEV, { env: { NODE_EXTRA_CA_CERTS: undefined, AGENT_CAINFO: emu.caFile } });
    succeeded(run);
    assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
  });
});
