/**
 * How the task signs in to Azure DevOps (devOpsAuth), end to end: the job's access token (default, see
 * managedIdentity.test.ts), a Microsoft Entra token of the bootstrap connection's identity, or a personal
 * access token from a secret variable. Each reaches the same emulated organization; a credential without
 * rights fails naming the role to grant.
 */
import { strict as assert } from 'node:assert';
import { type EmulatorOptions } from '../support/emulator';
import { useConnection } from '../support/useConnection';
import { succeeded, failed } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
};

/** Who created the connection, as Azure DevOps records it. */
function creator(emu: Emulator, name: string): string {
  const connection = emu.state().serviceConnections.find((c) => c.name === name) as unknown as { createdBy?: { displayName?: string } };
  return connection?.createdBy?.displayName ?? '';
}

describe('Azure DevOps credentials (devOpsAuth), whole runs in process', function () {
  this.timeout(60_000);
  let emulator: Emulator | undefined;
  const start = async (options: EmulatorOptions = {}): Promise<Emulator> => (emulator = await Emulator.start(options));
  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  describe('bootstrapIdentity', () => {
    it("calls Azure DevOps with an Entra token of the bootstrap connection's identity", async () => {
      const emu = await start();
      const run = await runInProcess(emu, { ...APP1_DEV, devOpsAuth: 'bootstrapIdentity' });
      succeeded(run);
      assert.equal(creator(emu, 'app1-dev'), 'contoso-platform-bootstrap');
      const devops = emu.requests.filter((r) => r.service === 'devops' && r.method !== 'OPTIONS');
      const oidc = devops.filter((r) => /oidctoken/.test(r.path));
      assert.ok(
        oidc.every((r) => r.callerId === emu.world.buildService.id),
        'the OIDC token still comes with the job token',
      );
      assert.ok(
        devops.filter((r) => !/oidctoken/.test(r.path)).every((r) => r.callerId !== emu.world.buildService.id),
        'every other call is the bootstrap identity',
      );
      assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
    });

    it("works with the agent machine's managed identity, whose token comes from the metadata endpoint", async () => {
      const emu = await start({ bootstrapScheme: 'ManagedServiceIdentity' });
      const run = await runInProcess(emu, { ...APP1_DEV, devOpsAuth: 'bootstrapIdentity' });
      succeeded(run);
      assert.equal(creator(emu, 'app1-dev'), 'vm-agent-01');
      assert.ok(emu.requests.some((r) => r.service === 'imds' && r.path.includes('resource=499b84ac-1321-427f-aa17-267ca6975798')));
    });

    it('fails in one line when the identity is not a user of the organization', async () => {
      const emu = await start({ bootstrapDevOpsRole: 'none' });
      const run = await runInProcess(emu, { ...APP1_DEV, devOpsAuth: 'bootstrapIdentity' });
      failed(run, /HTTP 401.*for bootstrapIdentity add the bootstrap connection's identity to the organization as a user/);
      assert.deepEqual(emu.writes(), []);
    });

    it('names the role to grant when the identity may not create connections', async () => {
      const emu = await start({ bootstrapDevOpsRole: 'Reader' });
      const run = await runInProcess(emu, { ...APP1_DEV, devOpsAuth: 'bootstrapIdentity' });
      // The permission preflight (issue 4) finds it before any write, and names the identity devOpsAuth uses.
      failed(
        run,
        /^Permission check failed before any write: the bootstrap connection's identity \(devOpsAuth bootstrapIdentity\) lacks the Creator role on service connections in project 'platform'/,
      );
      assert.deepEqual(emu.writes(), []);
    });
  });

  describe('personalAccessToken', () => {
    it('calls Azure DevOps with the token from the secret variable, and masks it', async () => {
      const emu = await start();
      const token = emu.world.personalAccessTokens.administrator;
      const run = await runInProcess(
        emu,
        { ...APP1_DEV, devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' },
        { secretVariables: { ADO_PAT: token } },
      );
      succeeded(run);
      assert.equal(creator(emu, 'app1-dev'), 'Platform Admin');
      assert.ok(run.secrets.includes(token), 'the token is registered with the agent');
      // task-lib echoes every variable it reads into the debug stream ("ADO_PAT=…"); the agent masks secret
      // variables there as everywhere. No other line may carry the token.
      const lines = (run.stdout + run.stderr)
        .split('\n')
        .filter((line) => !line.startsWith('##vso[task.setsecret]') && !line.startsWith('##vso[task.debug]ADO_PAT='));
      assert.ok(!lines.some((line) => line.includes(token)), 'the token is printed nowhere else');
      assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
    });

    it("names the role to grant when the token's owner may not create connections", async () => {
      const emu = await start();
      const run = await runInProcess(
        emu,
        { ...APP1_DEV, devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' },
        { secretVariables: { ADO_PAT: emu.world.personalAccessTokens.reader } },
      );
      failed(
        run,
        /^Permission check failed before any write: the owner of the token in 'ADO_PAT' lacks the Creator role on service connections in project 'platform'/,
      );
      assert.deepEqual(emu.writes(), []);
    });

    it('refuses a variable that is not secret, before any request', async () => {
      const emu = await start();
      const run = await runInProcess(
        emu,
        { ...APP1_DEV, devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' },
        { variables: { ADO_PAT: emu.world.personalAccessTokens.administrator } },
      );
      failed(run, /Input 'devOpsTokenVariable' names the variable 'ADO_PAT', which is not secret/);
      assert.equal(emu.requests.length, 0);
    });

    it('refuses a token pasted into the input, and keeps it out of the log', async () => {
      const emu = await start();
      const token = emu.world.personalAccessTokens.administrator;
      const run = await runInProcess(emu, { ...APP1_DEV, devOpsAuth: 'personalAccessToken', devOpsTokenVariable: token });
      failed(run, /Input 'devOpsTokenVariable' must be the name of a secret variable, not the token/);
      assert.ok(!(run.message ?? '').includes(token));
      assert.ok(run.secrets.includes(token), 'registered with the agent, which masks what task-lib already echoed');
      assert.equal(emu.requests.length, 0);
    });
  });
});
