/**
 * The emulator's Microsoft Graph, checked over real TLS with tokens from its Entra ID (MSAL through
 * @azure/identity): what the app-registration variant relies on, and the refusals Graph answers with.
 * Requests go through https.request with the CA: the Graph client uses Node's fetch, which in this
 * process (started before the emulator's CA existed) cannot be told to trust it.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import { wifConnectionBody } from '../support/admin';
import { useConnection } from '../support/useConnection';
import { httpsRequest, type HttpAnswer } from '../support/emulator/client';
import { Emulator, type EmulatorOptions } from '../support/emulator/index';

const ARM_SCOPE = 'https://management.core.windows.net//.default';

function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A Graph caller: the bootstrap application of an emulator, signed in with its secret. */
class GraphCaller {
  private readonly credential: ClientSecretCredential;

  constructor(readonly emu: Emulator) {
    this.credential = new ClientSecretCredential(emu.world.tenantId, emu.world.bootstrap.clientId, emu.world.bootstrap.clientSecret, {
      authorityHost: emu.urls.login,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caPem },
    });
  }

  async token(scope = `${this.emu.urls.graph}.default`): Promise<string> {
    return (await this.credential.getToken(scope)).token;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token?: string): Promise<HttpAnswer> {
    return httpsRequest({
      method,
      url: `${this.emu.urls.graph}v1.0${path}`,
      ca: this.emu.caPem,
      headers: { Authorization: `Bearer ${token ?? (await this.token())}`, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  upsertApplication(uniqueName: string, displayName: string, prefer = true): Promise<HttpAnswer> {
    return this.call(
      'PATCH',
      `/applications(uniqueName='${uniqueName}')`,
      { displayName, signInAudience: 'AzureADMyOrg' },
      prefer ? { Prefer: 'create-if-missing' } : {},
    );
  }
}

function errorOf(answer: HttpAnswer): { code: string; message: string; innerError: Record<string, string> } {
  return (answer.body as { error: { code: string; message: string; innerError: Record<string, string> } }).error;
}

function bodyOf<T = Record<string, string>>(answer: HttpAnswer): T {
  return answer.body as T;
}

describe('emulator: Microsoft Graph', function () {
  this.timeout(10_000);
  const started: Emulator[] = [];
  const start = async (options: EmulatorOptions = {}): Promise<GraphCaller> => {
    const emu = await Emulator.start(options);
    started.push(emu);
    return new GraphCaller(emu);
  };
  after(async () => {
    await Promise.all(started.map((emu) => emu.stop()));
  });

  it("takes Graph tokens only: with its audience and the caller's app permissions as roles", async () => {
    const graph = await start({ graphPermissions: ['Application.ReadWrite.OwnedBy'] });
    const token = claims(await graph.token());
    assert.deepEqual(token.roles, ['Application.ReadWrite.OwnedBy']);
    assert.equal(claims(await graph.token('https://graph.microsoft.com/.default')).aud, 'https://graph.microsoft.com');

    const anonymous = await graph.call('GET', '/applications', undefined, {}, '');
    assert.equal(anonymous.status, 401);
    assert.equal(errorOf(anonymous).code, 'InvalidAuthenticationToken');
    const armToken = await graph.token(ARM_SCOPE);
    const wrongAudience = await graph.call('GET', '/applications', undefined, {}, armToken);
    assert.equal(wrongAudience.status, 401);
    assert.equal(errorOf(wrongAudience).message, 'Access token validation failure. Invalid audience.');
    assert.ok(errorOf(wrongAudience).innerError['request-id'], "Graph's error envelope carries the request id");
  });

  it('upserts an application by uniqueName: 201 with the application, then 204 without a body; 404 without Prefer', async () => {
    const graph = await start();
    assert.equal((await graph.upsertApplication('wic-selftest', 'Self test', false)).status, 404);
    const created = await graph.upsertApplication('wic-selftest', 'Self test');
    assert.equal(created.status, 201);
    const application = bodyOf(created);
    assert.equal(application.uniqueName, 'wic-selftest');
    assert.equal(application.signInAudience, 'AzureADMyOrg');
    assert.match(application.appId, /^[0-9a-f-]{36}$/);

    const again = await graph.upsertApplication('wic-selftest', 'Self test, renamed');
    assert.equal(again.status, 204);
    assert.equal(again.text, '');
    const read = await graph.call('GET', `/applications(uniqueName='wic-selftest')`);
    assert.equal(bodyOf(read).displayName, 'Self test, renamed');
    assert.equal(bodyOf(read).id, application.id);
    const filtered = await graph.call('GET', `/applications?$filter=${encodeURIComponent(`appId eq '${application.appId}'`)}`);
    assert.deepEqual(
      bodyOf<{ value: { id: string }[] }>(filtered).value.map((a) => a.id),
      [application.id],
    );
    const immutable = await graph.call('PATCH', `/applications/${application.id}`, { uniqueName: 'other' });
    assert.equal(immutable.status, 400);
  });

  it('keeps federated credentials unique by name and by issuer and subject, at most 20 per application', async () => {
    const graph = await start();
    const application = bodyOf(await graph.upsertApplication('wic-credentials', 'Credentials'));
    const credentials = `/applications/${application.id}/federatedIdentityCredentials`;
    const credential = (subject: string) => ({ issuer: 'https://issuer.example/v2.0', subject, audiences: ['api://AzureADTokenExchange'] });
    const upsert = (name: string, subject: string) =>
      graph.call('PATCH', `${credentials}(name='${name}')`, credential(subject), { Prefer: 'create-if-missing' });

    assert.equal((await upsert('fic-0', 'subject-0')).status, 201);
    assert.equal((await upsert('fic-0', 'subject-0b')).status, 204, 'the same name updates');
    const clash = await upsert('fic-clash', 'subject-0b');
    assert.equal(clash.status, 400);
    assert.equal(errorOf(clash).code, 'InvalidFederatedIdentityCredentialValue');
    for (let n = 1; n < 20; n++) assert.equal((await upsert(`fic-${n}`, `subject-${n}`)).status, 201);
    const tooMany = await upsert('fic-20', 'subject-20');
    assert.equal(tooMany.status, 400);
    const listed = await graph.call('GET', credentials);
    assert.equal(bodyOf<{ value: unknown[] }>(listed).value.length, 20);
  });

  it('plays replication: a new application is unknown to other requests for a while, then its principal and credential follow', async () => {
    const graph = await start({ graphReplicationMs: 400 });
    const application = bodyOf(await graph.upsertApplication('wic-replication', 'Replication'));
    const principal = () => graph.call('PATCH', `/servicePrincipals(appId='${application.appId}')`, { accountEnabled: true }, { Prefer: 'create-if-missing' });
    const credential = () =>
      graph.call('POST', `/applications/${application.id}/federatedIdentityCredentials`, {
        name: 'fic',
        issuer: 'https://issuer.example/v2.0',
        subject: 'subject',
        audiences: ['api://AzureADTokenExchange'],
      });

    const early = await principal();
    assert.equal(early.status, 400);
    assert.equal(errorOf(early).message, `The appId '${application.appId}' of the service principal does not reference a valid application object.`);
    assert.equal(errorOf(await credential()).code, 'Request_ResourceNotFound');
    assert.equal((await graph.call('GET', `/applications/${application.id}`)).status, 404);
    assert.equal((await graph.upsertApplication('wic-replication', 'Replication')).status, 204, 'the upsert reaches the written copy');

    await new Promise((resolve) => setTimeout(resolve, 450));
    const created = await principal();
    assert.equal(created.status, 201);
    assert.equal(bodyOf(created).appId, application.appId);
    assert.equal((await credential()).status, 201);
    assert.equal((await principal()).status, 204, 'the upsert by appId finds the new principal at once');
  });

  it('lets Application.ReadWrite.OwnedBy read every application but write only those it owns, and makes it owner of what it creates', async () => {
    const graph = await start({ graphPermissions: ['Application.ReadWrite.OwnedBy'] });
    const { world } = graph.emu;
    const others = await graph.call('GET', `/applications(appId='${world.bootstrap.clientId}')`);
    assert.equal(others.status, 200, 'reads an application it does not own');
    const update = await graph.call('PATCH', `/applications/${world.bootstrap.applicationObjectId}`, { displayName: 'taken over' });
    assert.equal(update.status, 403);
    assert.deepEqual([errorOf(update).code, errorOf(update).message], ['Authorization_RequestDenied', 'Insufficient privileges to complete the operation.']);

    const mine = bodyOf(await graph.upsertApplication('wic-owned', 'Owned'));
    const owners = graph.emu
      .state()
      .applications.find((a) => a.id === mine.id)
      ?.owners.map((o) => o.id);
    assert.deepEqual(owners, [world.bootstrap.objectId]);
    const principal = await graph.call('PATCH', `/servicePrincipals(appId='${mine.appId}')`, {}, { Prefer: 'create-if-missing' });
    assert.equal(principal.status, 201);

    const notMine = await graph.call('POST', '/servicePrincipals', { appId: world.bootstrap.clientId });
    assert.equal(notMine.status, 403);
    assert.match(errorOf(notMine).message, /backing application of the service principal being created must in the local tenant/);
  });

  it('refuses every call to a bootstrap identity without Graph permissions', async () => {
    const graph = await start({ graphPermissions: [] });
    assert.equal(claims(await graph.token()).roles, undefined, 'no roles claim');
    const denied = await graph.call('GET', `/applications(uniqueName='wic-any')`);
    assert.equal(denied.status, 403);
    assert.equal(errorOf(denied).code, 'Authorization_RequestDenied');
  });

  it('signs a new application in once it has a service principal and a matching credential, only while it is single tenant', async () => {
    const graph = await start();
    const { world, urls, caPem, caFile } = graph.emu;
    const application = bodyOf(await graph.upsertApplication('wic-signin', 'Sign in'));
    const secretless = await httpsRequest({
      method: 'POST',
      url: `${urls.login}${world.tenantId}/oauth2/v2.0/token`,
      ca: caPem,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: application.appId, scope: ARM_SCOPE, client_secret: 'x' }).toString(),
    });
    assert.match(String(bodyOf(secretless).error_description), /^AADSTS7000229: The client application .* is missing service principal/);

    const principal = bodyOf(await graph.call('POST', '/servicePrincipals', { appId: application.appId }));
    const scope = `/subscriptions/${world.subscriptionId}/resourceGroups/rg-app1-dev`;
    const grant = await httpsRequest({
      method: 'PUT',
      url: `${urls.arm}${scope.slice(1)}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`,
      ca: caPem,
      headers: { Authorization: `Bearer ${await graph.token(ARM_SCOPE)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        properties: {
          roleDefinitionId: `/subscriptions/${world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
          principalId: principal.id,
          principalType: 'ServicePrincipal',
        },
      }),
    });
    assert.equal(grant.status, 201, 'ARM knows the new service principal');

    const endpoints = new ServiceEndpointApi(world.organization.url, [new BearerCredentialHandler(world.jobAccessToken)], { cert: { caFile } });
    const connection = await endpoints.createServiceEndpoint(
      wifConnectionBody(graph.emu, 'signin', application.appId, { scope: scope.replace('resourceGroups', 'resourcegroups') }),
    );
    const parameters = connection.authorization?.parameters ?? {};
    await graph.call('POST', `/applications/${application.id}/federatedIdentityCredentials`, {
      name: 'signin',
      issuer: parameters.workloadIdentityFederationIssuer,
      subject: parameters.workloadIdentityFederationSubject,
      audiences: ['api://AzureADTokenExchange'],
    });
    const used = await useConnection(graph.emu, connection.id ?? '');
    assert.equal(used.status, 200, JSON.stringify(used.body));

    await graph.call('PATCH', `/applications/${application.id}`, { signInAudience: 'AzureADMultipleOrgs' });
    const multiTenant = await useConnection(graph.emu, connection.id ?? '');
    assert.equal(multiTenant.stage, 'token');
    assert.match(String((multiTenant.body as Record<string, string>).error_description), /^AADSTS70052/);
  });
});
