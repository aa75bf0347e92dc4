/**
 * The emulator, checked with the clients the task uses: @azure/identity, @azure/arm-msi,
 * @azure/arm-authorization and azure-devops-node-api, over real TLS.
 *
 * How the test process trusts the emulator's CA: NODE_EXTRA_CA_CERTS is read once at process start,
 * before any emulator (and its throwaway CA) exists, so these in-process clients get the CA explicitly:
 * the @azure clients through their pipeline option tlsOptions.ca, azure-devops-node-api through
 * IRequestOptions.cert.caFile (typed-rest-client), raw requests through https.request's ca. The task itself
 * runs as a child process and gets NODE_EXTRA_CA_CERTS from emu.agentEnvironment().
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { AzurePipelinesCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { CoreApi } from 'azure-devops-node-api/CoreApi';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { wifConnectionBody } from '../support/admin';
import { useConnection } from '../support/useConnection';
import { httpsRequest } from '../support/emulator/client';
import { Emulator } from '../support/emulator/index';

const ARM_SCOPE = 'https://management.core.windows.net//.default';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Awaits a promise that must fail, and returns what it failed with. */
async function rejection(promise: Promise<unknown>): Promise<Error & { statusCode?: number; code?: string; result?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new assert.AssertionError({ message: 'expected a failure' });
}

class Clients {
  constructor(readonly emu: Emulator) {}

  get tls(): { tlsOptions: { ca: string } } {
    return { tlsOptions: { ca: this.emu.caPem } };
  }

  bootstrapCredential(secret = this.emu.world.bootstrap.clientSecret, clientId = this.emu.world.bootstrap.clientId): ClientSecretCredential {
    return new ClientSecretCredential(this.emu.world.tenantId, clientId, secret, {
      authorityHost: this.emu.urls.login,
      disableInstanceDiscovery: true,
      ...this.tls,
    });
  }

  armOptions(): Record<string, unknown> {
    return { endpoint: this.emu.urls.arm, credentialScopes: [ARM_SCOPE], retryOptions: { maxRetries: 1, retryDelayInMs: 10 }, ...this.tls };
  }

  msi(credential: TokenCredential = this.bootstrapCredential()): ManagedServiceIdentityClient {
    return new ManagedServiceIdentityClient(credential, this.emu.world.subscriptionId, this.armOptions());
  }

  authorization(credential: TokenCredential = this.bootstrapCredential()): AuthorizationManagementClient {
    return new AuthorizationManagementClient(credential, this.emu.world.subscriptionId, this.armOptions());
  }

  serviceEndpoints(): ServiceEndpointApi {
    return new ServiceEndpointApi(this.emu.world.organization.url, [new BearerCredentialHandler(this.emu.world.jobAccessToken)], {
      cert: { caFile: this.emu.caFile },
    });
  }

  core(): CoreApi {
    return new CoreApi(this.emu.world.organization.url, [new BearerCredentialHandler(this.emu.world.jobAccessToken)], { cert: { caFile: this.emu.caFile } });
  }

  /** The connection body from docs/wire.md, for an identity's client id, scoped to a resource group. */
  wifConnection(name: string, clientId: string, resourceGroup = 'rg-app1-dev'): ServiceEndpoint {
    return wifConnectionBody(this.emu, name, clientId, { scope: `/subscriptions/${this.emu.world.subscriptionId}/resourcegroups/${resourceGroup}` });
  }
}

describe('emulator', function () {
  this.timeout(10_000);
  let emu: Emulator;
  let clients: Clients;

  before(async () => {
    emu = await Emulator.start({ principalReplicationMs: 60_000 });
    clients = new Clients(emu);
  });
  after(async () => {
    await emu.stop();
  });

  describe('Entra ID', () => {
    it('issues an ARM token to a client secret, through MSAL with instance discovery disabled', async () => {
      const token = await clients.bootstrapCredential().getToken(ARM_SCOPE);
      const c = claims(token.token);
      assert.equal(c.aud, 'https://management.core.windows.net/');
      assert.equal(c.iss, `https://sts.windows.net/${emu.world.tenantId}/`);
      assert.equal(c.oid, emu.world.bootstrap.objectId);
      assert.equal(c.appid, emu.world.bootstrap.clientId);
      assert.equal(c.tid, emu.world.tenantId);
      assert.ok(!emu.requests.some((r) => r.path.startsWith('/common/discovery/instance')), 'no instance discovery');
    });

    it('refuses a wrong secret (AADSTS7000215) and an unknown client (AADSTS700016)', async () => {
      assert.match((await rejection(clients.bootstrapCredential('wrong').getToken(ARM_SCOPE))).message, /AADSTS7000215/);
      assert.match((await rejection(clients.bootstrapCredential(undefined, randomUUID()).getToken(ARM_SCOPE))).message, /AADSTS700016/);
    });

    it('exchanges the pipeline OIDC token of the bootstrap connection (AzurePipelinesCredential)', async () => {
      const { world } = emu;
      const saved = process.env.SYSTEM_OIDCREQUESTURI;
      process.env.SYSTEM_OIDCREQUESTURI = emu.agentEnvironment().SYSTEM_OIDCREQUESTURI;
      try {
        const credential = new AzurePipelinesCredential(world.tenantId, world.bootstrap.clientId, world.bootstrap.connectionId, world.jobAccessToken, {
          authorityHost: emu.urls.login,
          disableInstanceDiscovery: true,
          ...clients.tls,
        });
        const token = await credential.getToken(ARM_SCOPE);
        assert.equal(claims(token.token).oid, world.bootstrap.objectId);
      } finally {
        if (saved === undefined) delete process.env.SYSTEM_OIDCREQUESTURI;
        else process.env.SYSTEM_OIDCREQUESTURI = saved;
      }
    });
  });

  describe('ARM', () => {
    it('refuses a request without a token, and a token for another audience, as ARM does', async () => {
      const url = `${emu.urls.arm}subscriptions/${emu.world.subscriptionId}?api-version=2022-12-01`;
      const anonymous = await httpsRequest({ method: 'GET', url, ca: emu.caPem });
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.body, { error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer authorization_uri=".*", error="invalid_token"/);
      assert.ok(anonymous.headers['x-ms-request-id'] && anonymous.headers['x-ms-correlation-request-id']);

      const graphToken = await clients.bootstrapCredential().getToken('https://graph.microsoft.com/.default');
      const wrongAudience = await httpsRequest({ method: 'GET', url, ca: emu.caPem, headers: { Authorization: `Bearer ${graphToken.token}` } });
      assert.equal(wrongAudience.status, 401);
      assert.equal((wrongAudience.body as { error: { code: string } }).error.code, 'InvalidAuthenticationTokenAudience');
    });

    it('creates a user-assigned identity and federated credentials, refusing concurrent writes', async () => {
      const msi = clients.msi();
      const identity = await msi.userAssignedIdentities.createOrUpdate('rg-identities', 'id-selftest', {
        location: 'westeurope',
        tags: { purpose: 'self-test' },
      });
      assert.match(identity.id ?? '', /\/resourcegroups\/rg-identities\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/id-selftest$/);
      assert.equal(identity.tenantId, emu.world.tenantId);
      assert.ok(identity.principalId && identity.clientId);

      const credential = (n: number) => ({ issuer: 'https://issuer.example/', subject: `subject-${n}`, audiences: ['api://AzureADTokenExchange'] });
      const created = await msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'id-selftest', 'fic-1', credential(1));
      assert.equal(created.subject, 'subject-1');

      const both = await Promise.allSettled([
        msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'id-selftest', 'fic-2', credential(2)),
        msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'id-selftest', 'fic-3', credential(3)),
      ]);
      const refused = both.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(refused.length, 1, 'one of two overlapping writes is refused');
      assert.equal((refused[0].reason as { code?: string }).code, 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity');

      const clash = await rejection(msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'id-selftest', 'fic-9', credential(1)));
      assert.equal(clash.statusCode, 400);
      assert.match(clash.message, /Issuer and subject combination already exists/);

      const missingGroup = await rejection(msi.userAssignedIdentities.createOrUpdate('rg-missing', 'id-x', { location: 'westeurope' }));
      assert.equal(missingGroup.code, 'ResourceGroupNotFound');
      const badName = await rejection(msi.userAssignedIdentities.createOrUpdate('rg-identities', 'x', { location: 'westeurope' }));
      assert.equal(badName.code, 'InvalidResourceName');
    });

    it('finds Contributor and assigns it: PrincipalNotFound without principalType inside the replication window, RoleAssignmentExists on repeat', async () => {
      const identity = await clients.msi().userAssignedIdentities.createOrUpdate('rg-identities', 'id-rbac', { location: 'westeurope' });
      const authorization = clients.authorization();
      const scope = `subscriptions/${emu.world.subscriptionId}/resourceGroups/rg-app1-dev`;
      const roles: { id?: string; roleName?: string }[] = [];
      for await (const r of authorization.roleDefinitions.list(scope, { filter: "roleName eq 'Contributor'" })) roles.push(r);
      assert.equal(roles.length, 1);
      assert.equal(roles[0].id, `/subscriptions/${emu.world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`);
      const roleDefinitionId = roles[0].id ?? '';

      const name = randomUUID();
      const principalId = identity.principalId ?? '';
      const notYet = await rejection(authorization.roleAssignments.create(scope, name, { roleDefinitionId, principalId }));
      assert.equal(notYet.code, 'PrincipalNotFound');

      const created = await authorization.roleAssignments.create(scope, name, { roleDefinitionId, principalId, principalType: 'ServicePrincipal' });
      assert.equal(created.principalId, principalId);
      assert.equal(created.scope, `/${scope}`);

      const again = await rejection(
        authorization.roleAssignments.create(scope, randomUUID(), { roleDefinitionId, principalId, principalType: 'ServicePrincipal' }),
      );
      assert.equal(again.statusCode, 409);
      assert.equal(again.code, 'RoleAssignmentExists');

      const sameName = await authorization.roleAssignments.create(scope, name, { roleDefinitionId, principalId, principalType: 'ServicePrincipal' });
      assert.equal(sameName.id, created.id, 'the identical assignment under its own name is idempotent');

      const byId = await authorization.roleDefinitions.getById(roleDefinitionId);
      assert.equal(byId.roleName, 'Contributor');
    });

    it('drops a connection when a fault says so, and logs it with status 0', async () => {
      emu.faults.add({ service: 'arm', path: /\/subscriptions\/[^/]+\?/, drop: true });
      const url = `${emu.urls.arm}subscriptions/${emu.world.subscriptionId}?api-version=2022-12-01`;
      await rejection(httpsRequest({ method: 'GET', url, ca: emu.caPem }));
      assert.equal(emu.requests[emu.requests.length - 1].status, 0);
      assert.equal((await httpsRequest({ method: 'GET', url, ca: emu.caPem })).status, 401, 'the rule applied once');
    });

    it('retries a throttled request after Retry-After (fault injection)', async () => {
      emu.faults.add({ service: 'arm', method: 'GET', path: /resourcegroups\/rg-identities\/providers/i, status: 429, headers: { 'Retry-After': '0' } });
      const identity = await clients.msi().userAssignedIdentities.get('rg-identities', 'id-selftest');
      assert.equal(identity.name, 'id-selftest');
      const statuses = emu.requests.filter((r) => r.service === 'arm' && /id-selftest\?/.test(r.path)).map((r) => r.status);
      assert.deepEqual(statuses.slice(-2), [429, 200]);
    });
  });

  describe('Azure DevOps', () => {
    it('serves projects through CoreApi, and null for an unknown one', async () => {
      const project = await clients.core().getProject('platform');
      assert.equal(project.id, emu.world.project.id);
      assert.equal(project.state, 'wellFormed');
      assert.equal(await clients.core().getProject('no-such-project'), null);
    });

    it('creates a workload identity connection, reads it by name, and refuses a duplicate name', async () => {
      const api = clients.serviceEndpoints();
      const created = await api.createServiceEndpoint(clients.wifConnection('sc-selftest', randomUUID()));
      assert.ok(created.id);
      assert.equal(created.isReady, true);
      const parameters = created.authorization?.parameters ?? {};
      assert.equal(parameters.workloadIdentityFederationIssuer, `${emu.urls.login}${emu.world.tenantId}/v2.0`);
      assert.equal(parameters.workloadIdentityFederationIssuerType, 'EntraID');
      assert.ok(parameters.workloadIdentityFederationSubject?.endsWith(`/sc/${emu.world.organization.id}/${created.id}`));

      const [found] = await api.getServiceEndpointsByNames('platform', ['SC-SELFTEST']);
      assert.equal(found?.id, created.id, 'names match case-insensitively');
      assert.equal(await api.getServiceEndpointDetails('platform', randomUUID()), null);

      const duplicate = await rejection(api.createServiceEndpoint(clients.wifConnection('Sc-SelfTest', randomUUID())));
      assert.equal(duplicate.statusCode, 500);
      assert.match(String(duplicate.result?.typeKey), /DuplicateServiceConnectionException/);

      const accept = emu.requests.find((r) => r.service === 'devops' && r.method === 'OPTIONS');
      assert.ok(accept, 'the client discovered the resource locations first');
    });

    it('refuses an anonymous request with 401 and the Azure DevOps error body (with X-TFS-FedAuthRedirect: Suppress)', async () => {
      const answer = await httpsRequest({
        method: 'GET',
        url: `${emu.world.organization.url}_apis/projects/platform`,
        ca: emu.caPem,
        headers: { 'X-TFS-FedAuthRedirect': 'Suppress' },
      });
      assert.equal(answer.status, 401);
      assert.equal((answer.body as { typeKey?: string }).typeKey, 'UnauthorizedRequestException');
    });

    it('reports a new connection as InProgress for its first reads when asked to', async () => {
      emu.configure({ connectionReadiness: { inProgressReads: 1 } });
      try {
        const api = clients.serviceEndpoints();
        const created = await api.createServiceEndpoint(clients.wifConnection('sc-slow', randomUUID()));
        assert.equal(created.isReady, false);
        assert.equal(stateOf(created), 'InProgress');
        assert.equal(stateOf(await api.getServiceEndpointDetails('platform', created.id ?? '')), 'InProgress');
        const settled = await api.getServiceEndpointDetails('platform', created.id ?? '');
        assert.equal(settled?.isReady, true);
        assert.equal(settled?.isReady, true);
        assert.equal(stateOf(settled), undefined, 'a ready connection has no operationStatus (ado-serviceendpoint-get-real)');
      } finally {
        emu.configure({ connectionReadiness: { inProgressReads: 0 } });
      }
    });

    it('refuses to create a connection for a job identity that is only a Reader', async () => {
      emu.configure({ buildServiceRole: 'Reader' });
      try {
        const refused = await rejection(clients.serviceEndpoints().createServiceEndpoint(clients.wifConnection('sc-reader', randomUUID())));
        assert.equal(refused.statusCode, 403);
        assert.equal(refused.result?.typeKey, 'AccessCheckException');
      } finally {
        emu.configure({ buildServiceRole: 'Creator' });
      }
    });
  });

  describe('a created connection, used by a later pipeline', () => {
    it('fails with AADSTS70025 until the identity trusts the connection, then reaches ARM', async () => {
      const msi = clients.msi();
      const identity = await msi.userAssignedIdentities.createOrUpdate('rg-identities', 'id-app1-dev', { location: 'westeurope' });
      const scope = `subscriptions/${emu.world.subscriptionId}/resourceGroups/rg-app1-dev`;
      await clients.authorization().roleAssignments.create(scope, randomUUID(), {
        roleDefinitionId: `/subscriptions/${emu.world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
        principalId: identity.principalId ?? '',
        principalType: 'ServicePrincipal',
      });
      const connection = await clients.serviceEndpoints().createServiceEndpoint(clients.wifConnection('app1-dev', identity.clientId ?? ''));

      const untrusted = await useConnection(emu, connection.id ?? '');
      assert.equal(untrusted.stage, 'token');
      assert.equal(untrusted.status, 401);
      assert.match(
        String((untrusted.body as { error_description?: string }).error_description),
        /^AADSTS70025: The client '[^']+'\(.*\) has no configured federated identity credentials/,
      );

      const parameters = connection.authorization?.parameters ?? {};
      await msi.federatedIdentityCredentials.createOrUpdate('rg-identities', 'id-app1-dev', 'app1-dev', {
        issuer: parameters.workloadIdentityFederationIssuer,
        subject: parameters.workloadIdentityFederationSubject,
        audiences: ['api://AzureADTokenExchange'],
      });
      const used = await useConnection(emu, connection.id ?? '');
      assert.equal(used.stage, 'arm');
      assert.equal(used.status, 200, JSON.stringify(used.body));
      assert.equal((used.body as { name?: string }).name, 'rg-app1-dev');
    });

    it('lists writes without token requests or OIDC token requests', () => {
      const writes = emu.writes();
      assert.ok(writes.length > 0);
      assert.ok(writes.every((w) => w.service !== 'login' && !/oidctoken/i.test(w.path) && ['PUT', 'POST', 'PATCH', 'DELETE'].includes(w.method)));
      assert.ok(writes.every((w) => w.endedAt >= w.startedAt));
    });
  });

  describe('a bootstrap identity that is only a Reader', () => {
    let readerOnly: Emulator;
    before(async () => {
      readerOnly = await Emulator.start({ bootstrapRoles: ['Reader'] });
    });
    after(async () => {
      await readerOnly.stop();
    });

    it('reads, but cannot create an identity (AuthorizationFailed)', async () => {
      const readerClients = new Clients(readerOnly);
      const denied = await rejection(readerClients.msi().userAssignedIdentities.createOrUpdate('rg-identities', 'id-denied', { location: 'westeurope' }));
      assert.equal(denied.statusCode, 403);
      assert.equal(denied.code, 'AuthorizationFailed');
      assert.match(
        denied.message,
        new RegExp(
          `^The client '${readerOnly.world.bootstrap.clientId}' with object id '${readerOnly.world.bootstrap.objectId}' does not have authorization to perform action 'Microsoft\\.ManagedIdentity/userAssignedIdentities/write' over scope`,
        ),
      );
      const roles: unknown[] = [];
      for await (const r of readerClients.authorization().roleDefinitions.list(`subscriptions/${readerOnly.world.subscriptionId}`)) roles.push(r);
      assert.ok(roles.length >= 7);
    });
  });
});

/** A connection's operationStatus state (azure-devops-node-api types operationStatus as any). */
function stateOf(endpoint: ServiceEndpoint | null | undefined): string | undefined {
  return (endpoint?.operationStatus as { state?: string } | undefined)?.state;
}
