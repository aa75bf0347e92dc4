/**
 * The emulator's ways in, checked with the real clients: certificate client assertions, the instance
 * metadata endpoint (ManagedIdentityCredential), management groups and inherited roles, custom roles,
 * Azure DevOps with Entra tokens and personal access tokens, sovereign audiences, and the proxy.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as tls from 'node:tls';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { CoreApi } from 'azure-devops-node-api/CoreApi';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { PersonalAccessTokenCredentialHandler } from 'azure-devops-node-api/handlers/personalaccesstoken';
import { httpsRequest } from '../support/emulator/client';
import { Emulator } from '../support/emulator/index';

const MG_SCOPE = '/providers/Microsoft.Management/managementGroups/mg-platform';
const DEVOPS_SCOPE = '499b84ac-1321-427f-aa17-267ca6975798/.default';

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { statusCode?: number; code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new assert.AssertionError({ message: 'expected a failure' });
}

function secretCredential(emu: Emulator): ClientSecretCredential {
  return new ClientSecretCredential(emu.world.tenantId, emu.world.bootstrap.clientId, emu.world.bootstrap.clientSecret, {
    authorityHost: emu.urls.login,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: emu.caPem },
  });
}

function armGet(emu: Emulator, token: string, path: string, apiVersion: string): ReturnType<typeof httpsRequest> {
  return httpsRequest({
    method: 'GET',
    url: `${emu.direct(emu.urls.arm)}${path.replace(/^\//, '')}?api-version=${apiVersion}`,
    ca: emu.caPem,
    headers: { Authorization: `Bearer ${token}` },
  });
}

describe('emulator: ways in', function () {
  this.timeout(20_000);

  describe('Entra ID with a certificate credential', () => {
    let emu: Emulator;
    before(async () => {
      emu = await Emulator.start({ bootstrapScheme: 'ServicePrincipalCertificate' });
    });
    after(() => emu.stop());

    it('issues a token for a client assertion signed with the registered certificate (PS256, x5t#S256)', async () => {
      const credential = new ClientCertificateCredential(
        emu.world.tenantId,
        emu.world.bootstrap.clientId,
        { certificate: emu.world.bootstrap.certificatePem ?? '' },
        {
          authorityHost: emu.urls.login,
          disableInstanceDiscovery: true,
          tlsOptions: { ca: emu.caPem },
        },
      );
      const token = await credential.getToken('https://management.core.windows.net//.default');
      assert.equal(claims(token.token).oid, emu.world.bootstrap.objectId);
      assert.equal(claims(token.token).appidacr, '2', 'authenticated with a certificate');
    });

    it('refuses an assertion signed with another certificate (AADSTS700027)', async () => {
      const other = await Emulator.start({ bootstrapScheme: 'ServicePrincipalCertificate' });
      try {
        const credential = new ClientCertificateCredential(
          emu.world.tenantId,
          emu.world.bootstrap.clientId,
          { certificate: other.world.bootstrap.certificatePem ?? '' },
          {
            authorityHost: emu.urls.login,
            disableInstanceDiscovery: true,
            tlsOptions: { ca: emu.caPem },
          },
        );
        assert.match((await rejection(credential.getToken('https://management.core.windows.net//.default'))).message, /AADSTS700027/);
      } finally {
        await other.stop();
      }
    });
  });

  describe('the instance metadata endpoint', () => {
    let emu: Emulator;
    let saved: string | undefined;
    before(async () => {
      emu = await Emulator.start({ bootstrapScheme: 'ManagedServiceIdentity' });
      saved = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = emu.agentEnvironment().AZURE_POD_IDENTITY_AUTHORITY_HOST;
    });
    after(async () => {
      if (saved === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
      else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = saved;
      await emu.stop();
    });

    it("serves the VM's system-assigned and user-assigned identities to ManagedIdentityCredential", async () => {
      const system = await new ManagedIdentityCredential().getToken('https://management.core.windows.net//.default');
      assert.equal(claims(system.token).oid, emu.world.agentVm.systemAssigned.objectId);
      assert.equal(claims(system.token).xms_mirid, emu.world.agentVm.resourceId);
      const user = await new ManagedIdentityCredential({ clientId: emu.world.agentVm.userAssigned.clientId }).getToken(
        'https://management.core.windows.net//.default',
      );
      assert.equal(claims(user.token).oid, emu.world.agentVm.userAssigned.objectId);
      const arm = await armGet(emu, system.token, `/subscriptions/${emu.world.subscriptionId}`, '2022-12-01');
      assert.equal(arm.status, 200, 'ARM takes the VM identity, which holds the bootstrap roles');
    });

    it('answers as IMDS does without the Metadata header and for an identity the VM does not have', async () => {
      const get = (path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          http
            .get(`${emu.agentEnvironment().AZURE_POD_IDENTITY_AUTHORITY_HOST}${path}`, { headers }, (res) => {
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            })
            .on('error', reject);
        });
      const path = '/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/';
      assert.deepEqual(await get(path, {}), {
        status: 400,
        body: JSON.stringify({ error: 'invalid_request', error_description: 'Required metadata header not specified' }),
      });
      const unknown = await get(`${path}&client_id=00000000-0000-0000-0000-000000000001`, { Metadata: 'true' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body, /Identity not found/);
    });
  });

  describe('management groups and custom roles', () => {
    let emu: Emulator;
    let token: string;
    before(async () => {
      emu = await Emulator.start({ bootstrapRoles: [`Reader@${MG_SCOPE}`] });
      token = (await secretCredential(emu).getToken('https://management.core.windows.net//.default')).token;
    });
    after(() => emu.stop());

    it('describes its cloud at /metadata/endpoints without a token, as the Azure CLI reads it, and refuses an old api-version', async () => {
      const metadata = await httpsRequest({ method: 'GET', url: `${emu.urls.arm}metadata/endpoints?api-version=2022-09-01`, ca: emu.caPem });
      assert.equal(metadata.status, 200);
      const body = metadata.body as { name: string; resourceManager: string; authentication: { loginEndpoint: string; audiences: string[] } };
      assert.equal(body.name, 'AzureCloud');
      assert.equal(body.resourceManager, emu.urls.arm);
      assert.equal(`${body.authentication.loginEndpoint}/`, emu.urls.login, 'the login endpoint without its trailing slash');
      assert.equal(body.authentication.audiences[0], 'https://management.core.windows.net/');
      const old = await httpsRequest({ method: 'GET', url: `${emu.urls.arm}metadata/endpoints?api-version=2019-05-01`, ca: emu.caPem });
      assert.equal(old.status, 400);
    });

    it('serves a management group, and refuses an unknown one with 403 as ARM does', async () => {
      const group = await armGet(emu, token, MG_SCOPE, '2021-04-01');
      assert.equal(group.status, 200);
      assert.equal((group.body as { properties: { displayName: string } }).properties.displayName, 'Platform');
      const unknown = await armGet(emu, token, '/providers/Microsoft.Management/managementGroups/mg-nowhere', '2021-04-01');
      assert.equal(unknown.status, 403);
      assert.equal((unknown.body as { error: { code: string } }).error.code, 'AuthorizationFailed');
    });

    it('lets a role at the management group reach the subscription and its resource groups below', async () => {
      assert.equal((await armGet(emu, token, `/subscriptions/${emu.world.subscriptionId}`, '2022-12-01')).status, 200);
      assert.equal((await armGet(emu, token, `/subscriptions/${emu.world.subscriptionId}/resourcegroups/rg-app1-dev`, '2021-04-01')).status, 200);
    });

    it('lists the custom role at the management group, where it is assignable, and in the subscription below', async () => {
      const credential: TokenCredential = secretCredential(emu);
      const client = new AuthorizationManagementClient(credential, emu.world.subscriptionId, {
        endpoint: emu.urls.arm,
        credentialScopes: ['https://management.core.windows.net//.default'],
        tlsOptions: { ca: emu.caPem },
      });
      const names = async (scope: string, filter?: string): Promise<string[]> => {
        const found: string[] = [];
        for await (const role of client.roleDefinitions.list(scope, filter ? { filter } : {})) found.push(`${role.roleName}:${role.roleType}:${role.id}`);
        return found;
      };
      const atGroup = await names(MG_SCOPE.slice(1), "roleName eq 'Platform Deployer'");
      assert.deepEqual(atGroup, [`Platform Deployer:CustomRole:/providers/Microsoft.Authorization/roleDefinitions/${emu.world.customRole.id}`]);
      const inSubscription = await names(`subscriptions/${emu.world.subscriptionId}`, "type eq 'CustomRole'");
      assert.deepEqual(inSubscription, [
        `Platform Deployer:CustomRole:/subscriptions/${emu.world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${emu.world.customRole.id}`,
      ]);
    });
  });

  describe('Azure DevOps callers', () => {
    let emu: Emulator;
    before(async () => {
      emu = await Emulator.start({ bootstrapScheme: 'ServicePrincipal' });
    });
    after(() => emu.stop());

    const core = (handler: BearerCredentialHandler | PersonalAccessTokenCredentialHandler): CoreApi =>
      new CoreApi(emu.world.organization.url, [handler], { cert: { caFile: emu.caFile } });

    it('accepts an Entra token for Azure DevOps of a user of the organization, and refuses it when it is not one', async () => {
      const token = (await secretCredential(emu).getToken(DEVOPS_SCOPE)).token;
      assert.equal(claims(token).aud, '499b84ac-1321-427f-aa17-267ca6975798');
      assert.equal((await core(new BearerCredentialHandler(token)).getProject('platform')).name, 'platform');
      emu.configure({ bootstrapDevOpsRole: 'none' });
      try {
        const refused = await rejection(core(new BearerCredentialHandler(token)).getProject('platform'));
        assert.equal(refused.statusCode, 401);
      } finally {
        emu.configure({ bootstrapDevOpsRole: 'Creator' });
      }
      const armToken = (await secretCredential(emu).getToken('https://management.core.windows.net//.default')).token;
      assert.equal((await rejection(core(new BearerCredentialHandler(armToken)).getProject('platform'))).statusCode, 401, 'a token for another audience');
    });

    it('accepts a personal access token as Basic auth, and refuses an unknown one', async () => {
      const { administrator } = emu.world.personalAccessTokens;
      assert.match(administrator, /^.{76}AZDO.{4}$/);
      assert.equal((await core(new PersonalAccessTokenCredentialHandler(administrator)).getProject('platform')).name, 'platform');
      assert.equal((await rejection(core(new PersonalAccessTokenCredentialHandler('x'.repeat(52))).getProject('platform'))).statusCode, 401);
    });
  });

  describe('a sovereign cloud behind the proxy', () => {
    let emu: Emulator;
    before(async () => {
      emu = await Emulator.start({ cloud: 'AzureUSGovernment', proxy: { username: 'u', password: 'p' } });
    });
    after(() => emu.stop());

    /** Opens a CONNECT tunnel and a TLS session through it; resolves with the proxy's status line. */
    const tunnel = (target: string, authorization?: string): Promise<{ status: number; socket?: tls.TLSSocket }> =>
      new Promise((resolve, reject) => {
        const request = http.request(emu.proxy!.url, {
          method: 'CONNECT',
          path: target,
          headers: authorization ? { 'Proxy-Authorization': authorization } : {},
        });
        request.on('connect', (response, socket) => {
          if (response.statusCode !== 200) return resolve({ status: response.statusCode ?? 0 });
          const [host] = target.split(':');
          const secure = tls.connect({ socket, servername: host, ca: emu.caPem }, () => resolve({ status: 200, socket: secure }));
          secure.on('error', reject);
        });
        request.on('error', reject);
        request.end();
      });
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;

    it("tunnels the cloud's host names to the emulator, whose certificate is valid for them", async () => {
      const { status, socket } = await tunnel('management.usgovcloudapi.net:443', basic);
      assert.equal(status, 200);
      assert.ok(socket?.authorized, 'TLS verified for management.usgovcloudapi.net');
      socket?.destroy();
    });

    it('asks for credentials (407) and has no route elsewhere (502)', async () => {
      assert.equal((await tunnel('management.usgovcloudapi.net:443')).status, 407);
      assert.equal((await tunnel('management.azure.com:443', basic)).status, 502);
    });

    it("issues and accepts the cloud's ARM audience only", async () => {
      // The token endpoint, asked directly on its loopback address (in-process clients do not use the proxy).
      const form = (scope: string): string =>
        new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: emu.world.bootstrap.clientId,
          client_secret: emu.world.bootstrap.clientSecret,
          scope,
        }).toString();
      const token = async (scope: string): Promise<string> => {
        const answer = await httpsRequest({
          method: 'POST',
          url: `${emu.direct(emu.urls.login)}${emu.world.tenantId}/oauth2/v2.0/token`,
          ca: emu.caPem,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form(scope),
        });
        return (
          (answer.body as { access_token?: string; error_description?: string }).access_token ??
          String((answer.body as { error_description?: string }).error_description)
        );
      };
      const govToken = await token('https://management.core.usgovcloudapi.net//.default');
      assert.equal((await armGet(emu, govToken, `/subscriptions/${emu.world.subscriptionId}`, '2022-12-01')).status, 200);
      assert.match(await token('https://management.core.windows.net//.default'), /AADSTS500011/, 'the public audience is unknown here');
    });
  });
});
