/**
 * Every way a bootstrap connection can sign in, end to end: a service principal with a certificate, and
 * the agent machine's managed identity (system- and user-assigned) through the instance metadata endpoint.
 * Workload identity federation and a client secret are covered in managedIdentity.test.ts.
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

describe('bootstrap connection schemes, whole runs in process', function () {
  this.timeout(60_000);
  let emulator: Emulator | undefined;
  const start = async (options: EmulatorOptions): Promise<Emulator> => (emulator = await Emulator.start(options));
  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  describe('a service principal with a certificate (spnCertificate)', () => {
    it('signs in with a client assertion signed by the certificate, and provisions a usable connection', async () => {
      const emu = await start({ bootstrapScheme: 'ServicePrincipalCertificate' });
      const run = await runInProcess(emu, APP1_DEV);
      succeeded(run);
      const tokenRequests = emu.requests.filter((r) => r.service === 'login' && r.method === 'POST');
      assert.ok(tokenRequests.length > 0 && tokenRequests.every((r) => r.status === 200 && r.callerId === emu.world.bootstrap.clientId));
      assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
    });

    it('masks the private key line by line, and never prints it', async () => {
      const emu = await start({ bootstrapScheme: 'ServicePrincipalCertificate' });
      const run = await runInProcess(emu, APP1_DEV, { variables: { 'System.Debug': 'true' } });
      succeeded(run);
      const pem = emu.world.bootstrap.certificatePem ?? '';
      const keyLines = pem
        .split('-----BEGIN PRIVATE KEY-----')[1]
        .split('-----END')[0]
        .split('\n')
        .filter((line) => line.length >= 8);
      assert.ok(keyLines.length > 10);
      for (const line of keyLines) assert.ok(run.secrets.includes(line), 'every line of the key body is registered with the agent');
      const printed = (run.stdout + run.stderr)
        .split('\n')
        .filter((line) => !line.startsWith('##vso[task.setsecret]'))
        .join('\n');
      for (const line of keyLines) assert.ok(!printed.includes(line), 'no line of the key is printed');
    });

    it('explains a certificate that is not registered on the app (AADSTS700027)', async () => {
      const emu = await start({ bootstrapScheme: 'ServicePrincipalCertificate' });
      const other = await Emulator.start({ bootstrapScheme: 'ServicePrincipalCertificate' });
      try {
        const id = emu.world.bootstrap.connectionId;
        const foreignPem = other.world.bootstrap.certificatePem ?? '';
        const auth = JSON.parse(emu.agentEnvironment()[`ENDPOINT_AUTH_${id}`]) as { parameters: Record<string, string>; scheme: string };
        auth.parameters.servicePrincipalCertificate = foreignPem;
        const run = await runInProcess(emu, APP1_DEV, {
          env: { [`ENDPOINT_AUTH_${id}`]: JSON.stringify(auth), [`ENDPOINT_AUTH_PARAMETER_${id}_SERVICEPRINCIPALCERTIFICATE`]: foreignPem },
        });
        failed(run, /AADSTS700027.*upload the certificate's public part/);
        assert.deepEqual(emu.writes(), []);
      } finally {
        await other.stop();
      }
    });
  });

  describe("the agent machine's managed identity (ManagedServiceIdentity)", () => {
    it('signs in as the system-assigned identity through the instance metadata endpoint, never through Entra ID', async () => {
      const emu = await start({ bootstrapScheme: 'ManagedServiceIdentity' });
      const run = await runInProcess(emu, APP1_DEV);
      succeeded(run);
      assert.equal(emu.world.bootstrap.objectId, emu.world.agentVm.systemAssigned.objectId);
      const metadata = emu.requests.filter((r) => r.service === 'imds');
      assert.ok(metadata.length > 0 && metadata.every((r) => r.status === 200 && r.callerId === emu.world.agentVm.systemAssigned.objectId));
      assert.ok(
        metadata.every((r) => !/client_id=/.test(r.path)),
        'no identity named: the system-assigned one',
      );
      assert.ok(!emu.requests.some((r) => r.service === 'login' && r.method === 'POST'), 'the task asked Entra ID for no token');
      const grant = emu.state().roleAssignments.find((a) => a.properties.principalId === run.outputs.principalId);
      assert.equal(grant?.properties.createdBy, emu.world.agentVm.systemAssigned.objectId, 'ARM saw the VM identity write the grant');
      assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
    });

    it('signs in as the user-assigned identity the connection names in msiclientId', async () => {
      const emu = await start({ bootstrapScheme: 'ManagedServiceIdentity', agentVmIdentity: 'userAssigned' });
      const run = await runInProcess(emu, APP1_DEV);
      succeeded(run);
      const { userAssigned } = emu.world.agentVm;
      const metadata = emu.requests.filter((r) => r.service === 'imds');
      assert.ok(metadata.length > 0 && metadata.every((r) => r.path.includes(`client_id=${userAssigned.clientId}`) && r.callerId === userAssigned.objectId));
      assert.equal((await useConnection(emu, run.outputs.serviceConnectionId)).status, 200);
    });

    it('fails in one line naming the identity when the machine has no such identity', async () => {
      const emu = await start({ bootstrapScheme: 'ManagedServiceIdentity' });
      const id = emu.world.bootstrap.connectionId;
      const unknown = '0f0f0f0f-0000-4000-8000-000000000000';
      const data = JSON.parse(emu.agentEnvironment()[`ENDPOINT_DATA_${id}`]) as Record<string, string>;
      const run = await runInProcess(emu, APP1_DEV, {
        env: { [`ENDPOINT_DATA_${id}`]: JSON.stringify({ ...data, msiclientId: unknown }), [`ENDPOINT_DATA_${id}_MSICLIENTID`]: unknown },
      });
      failed(run, new RegExp(`agent machine's managed identity.*Identity not found.*client id ${unknown}`));
      assert.deepEqual(emu.writes(), []);
    });
  });

  it('refuses a scheme it cannot sign in with, listing the supported ones', async () => {
    const emu = await start({});
    const id = emu.world.bootstrap.connectionId;
    const run = await runInProcess(emu, APP1_DEV, {
      env: {
        [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: { tenantid: emu.world.tenantId }, scheme: 'PublishProfile' }),
        [`ENDPOINT_AUTH_SCHEME_${id}`]: 'PublishProfile',
      },
    });
    failed(
      run,
      /Input 'bootstrapConnection' uses the authentication scheme 'PublishProfile'\. Supported schemes are: WorkloadIdentityFederation, ServicePrincipal, ManagedServiceIdentity\./,
    );
    assert.equal(emu.requests.length, 0, 'refused before any request');
  });
});
