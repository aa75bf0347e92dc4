/**
 * Every recorded body in tests/fixtures/recordings/ goes, as recorded (casing, missing fields, byte-order
 * marks), through the parser the task uses for that call: the SDK's own deserializer where the task reads
 * through an SDK (its HTTP client replaced by one that answers the recording), then the task's converters.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import type { Clients } from '../../src/clients';
import { supportedManagedIdentityApiVersion } from '../../src/clients/arm';
import { devopsRest } from '../../src/clients/devops';
import { jobTokenRejected } from '../../src/clients/pipelineOidcToken';
import { systemClock } from '../../src/clock';
import type { TaskError } from '../../src/errors';
import { toTaskError } from '../../src/sdkErrors';
import * as application from '../../src/resources/application';
import * as applicationCredential from '../../src/resources/applicationCredential';
import { untilReady } from '../../src/resources/serviceConnection';
import * as connection from '../../src/resources/serviceConnectionWire';
import * as credential from '../../src/resources/federatedCredential';
import * as identity from '../../src/resources/managedIdentity';
import { lookupIdentityLocation, lookupProject, lookupResourceGroup, lookupRoleDefinition, lookupSubscription } from '../../src/resources/lookups';
import { permissionsPageFromWire } from '../../src/preflight';
import { definitionsFromWire } from '../../src/resources/pipelinePermissions';
import { isAwaitingApplication } from '../../src/resources/servicePrincipal';

const DIRECTORY = join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'recordings');

interface Recording {
  status: number | string;
  headers?: Record<string, string>;
  body: unknown;
  [more: string]: unknown;
}

const read = (name: string): Recording => JSON.parse(readFileSync(join(DIRECTORY, `${name}.json`), 'utf8')) as Recording;
const object = (value: unknown): Record<string, unknown> => value as Record<string, unknown>;

/** An HTTP client that answers every request with the recording, as the service sent it. */
function answering(recording: Recording, status = Number(recording.status)): HttpClient {
  return {
    sendRequest: async (request: PipelineRequest) => ({
      request,
      status,
      headers: createHttpHeaders({ 'content-type': 'application/json; charset=utf-8', ...recording.headers }),
      bodyAsText: JSON.stringify(recording.body),
    }),
  };
}

const credentialStub = { getToken: async () => ({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
const msiAnswering = (recording: Recording, status?: number) =>
  new ManagedServiceIdentityClient(credentialStub, 'sub', { httpClient: answering(recording, status), retryOptions: { maxRetries: 0 } });

/** Azure DevOps REST over an HTTP client that answers the recording (as sent: `text`, when given). */
function devopsAnswering(recording: Recording, text = JSON.stringify(recording.body), status = Number(recording.status)) {
  const client = answering(recording, status);
  return devopsRest(
    'https://dev.azure.com/contoso/',
    async () => 'Bearer job',
    async (request) => ({
      ...(await client.sendRequest(request)),
      bodyAsText: text,
    }),
  );
}

/** Clients whose plain ARM reads and Azure DevOps calls answer the recording. */
function clientsAnswering(recording: Recording, body: unknown = recording.body): Clients {
  const authorization = new AuthorizationManagementClient(credentialStub, 'sub', { httpClient: answering(recording), retryOptions: { maxRetries: 0 } });
  return {
    clock: systemClock,
    azure: async () => ({ armGet: async () => ({ status: Number(recording.status), body: object(body) }), authorization }),
    devops: devopsAnswering(recording, JSON.stringify(body)),
  } as unknown as Clients;
}

/** Each recording and what the task reads from it. */
const PARSED: Record<string, () => Promise<void>> = {
  'ado-build-definitions-list-by-name': async () => {
    const recording = read('ado-build-definitions-list-by-name');
    assert.deepEqual(definitionsFromWire(recording.body), []);
    assert.deepEqual(definitionsFromWire(object(recording.second_example).body_trimmed), [{ id: 47, name: 'ContosoBuild', folder: '\\' }]);
  },
  'ado-core-project-get': async () => {
    const recording = read('ado-core-project-get');
    const body = object(recording.body);
    assert.deepEqual(await lookupProject(clientsAnswering(recording), String(body.name)), { id: body.id, name: body.name });
  },
  'ado-error-503-collection-stopped-bom': async () => {
    const recording = read('ado-error-503-collection-stopped-bom');
    // As sent: the byte-order mark, then the JSON; the recording's headers plus a Retry-After.
    const text = `\uFEFF${JSON.stringify(recording.body)}`;
    assert.ok(String(recording.body_raw_prefix).startsWith('\uFEFF'));
    const rest = devopsAnswering({ ...recording, headers: { ...recording.headers, 'retry-after': '30' } }, text, 503);
    const error = await rest.request({ path: '_apis/projects/p', apiVersion: '7.1' }).then(
      () => assert.fail('a 503 is an error'),
      (e: unknown) => e,
    );
    const failure = toTaskError('devops', 'read the project', error);
    assert.match(failure.message, /^TF24668: The following team project collection is stopped: AzureDevOpsCliTest/);
    assert.equal(failure.code, 'VssServiceException');
    assert.equal(failure.retryAfterMs, 30_000);
  },
  'ado-error-project-not-found-by-name': async () => {
    const recording = read('ado-error-project-not-found-by-name');
    const failure = toTaskError('devops', 'read the project', { statusCode: 404, result: recording.body, message: 'x' });
    assert.equal(failure.code, 'ProjectDoesNotExistWithNameException');
    assert.match(failure.hint ?? '', /Check the project name/);
  },
  'ado-oidctoken-invalid-token': async () => {
    const recording = read('ado-oidctoken-invalid-token');
    assert.equal(jobTokenRejected(Number(recording.status), 'text/html; charset=utf-8'), true);
    assert.equal(jobTokenRejected(302, 'text/html'), true);
    assert.equal(jobTokenRejected(Number(object(recording.with_suppress_header).status), 'application/json'), true);
    assert.equal(jobTokenRejected(Number(object(recording.success).status), 'application/json'), false);
  },
  'ado-permissions-has-permissions': async () => {
    // Read by preflight.ts as `value[0]` of the tokens= form; the bare boolean of token= is not used.
    const body = object(read('ado-permissions-has-permissions').body);
    assert.deepEqual(body.value, [false, false, true]);
  },
  'ado-serviceendpoint-create-wif-response': async () => {
    const body = read('ado-serviceendpoint-create-wif-response').body as Parameters<typeof connection.fromWire>[0];
    const parsed = connection.fromWire(body);
    assert.equal(parsed.ready, true);
    assert.equal(parsed.disabled, false);
    assert.match(parsed.issuer, /^https:\/\//);
    assert.ok(parsed.subject.length > 0);
    assert.equal(body.authorization?.parameters?.workloadIdentityFederationIssuerType, 'EntraID');
  },
  'ado-serviceendpoint-duplicate-name': async () => {
    const body = object(read('ado-serviceendpoint-duplicate-name').body);
    // The status is not recorded (400, 409 and 500 are reported): the typeKey decides, whatever the status.
    for (const statusCode of [400, 409, 500]) {
      const failure = toTaskError('devops', 'create the service connection', { statusCode, result: body, message: String(body.message) });
      assert.equal(failure.code, 'DuplicateServiceConnectionException');
      assert.match(failure.hint ?? '', /User or Administrator/);
    }
  },
  'ado-serviceendpoint-get-real': async () => {
    const body = read('ado-serviceendpoint-get-real').body as Parameters<typeof connection.fromWire>[0];
    const parsed = connection.fromWire(body);
    assert.equal(parsed.ready, true, 'no operationStatus: ready');
    assert.equal(connection.isPartial(body), false);
    assert.equal(connection.isPartial({ ...body, type: null, data: null } as unknown as typeof body), true);
    assert.equal(connection.isPartial({ ...body, authorization: null } as unknown as typeof body), true);
    assert.equal(connection.fromWire({ ...body, isDisabled: true }).ready, false);
  },
  'arm-authorization-permissions-list': async () => {
    const page = permissionsPageFromWire(object(read('arm-authorization-permissions-list').body));
    assert.deepEqual(page, {
      permissions: [
        { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete'] },
        { actions: ['*/read'], notActions: [] },
      ],
      nextLink: undefined,
    });
    assert.equal(permissionsPageFromWire({ value: [], nextLink: 'https://management.azure.com/next' })?.nextLink, 'https://management.azure.com/next');
  },
  'arm-authorization-roleassignment-put-400-principalnotfound': async () => {
    const recording = read('arm-authorization-roleassignment-put-400-principalnotfound');
    const authorization = new AuthorizationManagementClient(credentialStub, 'sub', { httpClient: answering(recording), retryOptions: { maxRetries: 0 } });
    const error = await authorization.roleAssignments.create('subscriptions/sub', 'name', { roleDefinitionId: 'r', principalId: 'p' }).catch((e: unknown) => e);
    const failure = toTaskError('arm', 'assign the role', error);
    assert.equal(failure.status, 400);
    assert.equal(failure.code, 'PrincipalNotFound');
  },
  'arm-authorization-roleassignment-put-409-exists': async () => {
    const recording = read('arm-authorization-roleassignment-put-409-exists');
    const authorization = new AuthorizationManagementClient(credentialStub, 'sub', { httpClient: answering(recording), retryOptions: { maxRetries: 0 } });
    const error = await authorization.roleAssignments.create('subscriptions/sub', 'name', { roleDefinitionId: 'r', principalId: 'p' }).catch((e: unknown) => e);
    const failure = toTaskError('arm', 'assign the role', error);
    assert.equal(failure.code, 'RoleAssignmentExists');
    assert.equal(failure.name, 'ConflictError');
  },
  'arm-authorization-roleassignment-put-create': async () => {
    const recording = read('arm-authorization-roleassignment-put-create');
    const authorization = new AuthorizationManagementClient(credentialStub, 'sub', { httpClient: answering(recording), retryOptions: { maxRetries: 0 } });
    const created = await authorization.roleAssignments.create('subscriptions/sub', 'name', { roleDefinitionId: 'r', principalId: 'p' });
    assert.equal(created.id, object(recording.body).id);
    assert.ok(created.principalId);
  },
  'arm-authorization-roledefinitions-list-filter': async () => {
    const recording = read('arm-authorization-roledefinitions-list-filter');
    // Asked for 'reader', answered 'Reader': matched without case.
    const found = await lookupRoleDefinition(clientsAnswering(recording), '/subscriptions/sub', 'reader');
    assert.equal(found.name, 'Reader');
    assert.match(found.id, /roleDefinitions\/acdd72a7-3385-48ef-bd42-f606fba81ae7$/i);
  },
  'arm-msi-fic-list': async () => {
    const credentials: credential.FederatedCredential[] = [];
    for await (const wire of msiAnswering(read('arm-msi-fic-list')).federatedIdentityCredentials.list('rg', 'ide')) credentials.push(credential.fromWire(wire));
    assert.ok(credentials.length >= 2);
    assert.deepEqual(credentials[0], {
      name: 'fic1',
      issuer: 'https://oidc.prod-aks.azure.com/IssuerGUID',
      subject: 'system:serviceaccount:ns:svcaccount1',
      audiences: ['api://AzureADTokenExchange'],
    });
  },
  'arm-msi-fic-put-409-concurrent': async () => {
    const recording = read('arm-msi-fic-put-409-concurrent');
    const error = await msiAnswering(recording, 409)
      .federatedIdentityCredentials.createOrUpdate('rg', 'id', 'fic', { issuer: 'i', subject: 's', audiences: ['a'] })
      .catch((e: unknown) => e);
    assert.equal(toTaskError('arm', 'write the credential', error).code, 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity');
  },
  'arm-msi-fic-put-create': async () => {
    const written = await msiAnswering(read('arm-msi-fic-put-create')).federatedIdentityCredentials.createOrUpdate('rg', 'ide', 'fic1', {
      issuer: 'i',
      subject: 's',
      audiences: ['a'],
    });
    assert.equal(credential.fromWire(written).subject, 'system:serviceaccount:ns:svcaccount1');
  },
  'arm-msi-fic-put-update': async () => {
    const written = await msiAnswering(read('arm-msi-fic-put-update')).federatedIdentityCredentials.createOrUpdate('rg', 'ide', 'fic1', {
      issuer: 'i',
      subject: 's',
      audiences: ['a'],
    });
    assert.ok(credential.fromWire(written).issuer);
  },
  'arm-msi-identity-get': async () => {
    const recording = read('arm-msi-identity-get');
    const parsed = identity.fromWire(await msiAnswering(recording).userAssignedIdentities.get('rg', 'useridentityname'), 'rg');
    assert.equal(parsed.principalId, 'bb2c2e04-e730-438f-a371-23c8e0ea9c0b');
    assert.ok(parsed.clientId);
    assert.match(parsed.id, /\/resourcegroups\//, 'lower-case resourcegroups, as recorded');
    assert.deepEqual(parsed.tags, { key1: 'value1', key2: 'value2' });
  },
  'arm-msi-identity-put-create': async () => {
    const parsed = identity.fromWire(
      await msiAnswering(read('arm-msi-identity-put-create')).userAssignedIdentities.createOrUpdate('rg', 'ide', { location: 'eastus2euap' }),
      'rg',
    );
    assert.ok(parsed.clientId && parsed.principalId && parsed.tenantId);
  },
  'arm-msi-identity-put-sovereign-apiversion': async () => {
    const recording = read('arm-msi-identity-put-sovereign-apiversion');
    const text = JSON.stringify(recording.body);
    // The 2022 cloud listed none with federated credentials: no fallback, the refusal stands.
    assert.equal(supportedManagedIdentityApiVersion(text, '2024-11-30'), undefined);
    assert.equal(supportedManagedIdentityApiVersion(text.replace("2018-11-30'", "2018-11-30, 2023-01-31'"), '2024-11-30'), '2023-01-31');
    const error = await msiAnswering(recording)
      .userAssignedIdentities.get('rg', 'n')
      .catch((e: unknown) => e);
    assert.equal(toTaskError('arm', 'read the identity', error).code, 'NoRegisteredProviderFound');
  },
  'arm-provider-get': async () => {
    // Recorded for Microsoft.Management, which lists no userAssignedIdentities: the region is not refused.
    // Nor can it be checked: the log then says "Not checked" (issue 15).
    const region = await lookupIdentityLocation(clientsAnswering(read('arm-provider-get')), 'sub', 'westeurope');
    assert.equal(region.location, 'westeurope');
    assert.equal(region.checked, false);
  },
  'arm-resourcegroup-get': async () => {
    const found = await lookupResourceGroup(
      clientsAnswering(read('arm-resourcegroup-get')),
      'resourceGroup',
      'sub',
      'cli_test_federated_identity_credential_000001',
    );
    assert.equal(found.location, 'eastus2euap');
  },
  'arm-subscription-get': async () => {
    // Recorded as the list; the task's GET /subscriptions/{id} answers one element of it.
    const element = (object(read('arm-subscription-get').body).value as unknown[])[0];
    const found = await lookupSubscription(clientsAnswering(read('arm-subscription-get'), element), '2b0942f3-9bca-484b-a508-abdae2db5e64');
    assert.equal(found.name, 'sans-hhc');
  },
  'entra-token-fic-mismatch': async () => {
    const body = object(read('entra-token-fic-mismatch').body);
    // MSAL folds the answer into its message: "invalid_client: AADSTS700211: …".
    const failure = toTaskError('entra', 'get a token', { message: `${String(body.error)}: ${String(body.error_description)}` });
    assert.equal(failure.code, 'AADSTS700211');
    assert.match(failure.hint ?? '', /issuer/);
    for (const code of ['AADSTS700213', 'AADSTS70025']) assert.ok(toTaskError('entra', 'get a token', { message: `invalid_client: ${code}: x.` }).hint);
  },
  'graph-app-fic-post-list-patch-delete': async () => {
    const exchanges = read('graph-app-fic-post-list-patch-delete').exchanges as Array<{ method: string; body?: unknown }>;
    const created = applicationCredential.fromWire(object(exchanges[0].body));
    assert.equal(created.name, 'Testing');
    assert.deepEqual(created.audiences, ['api://AzureADTokenExchange']);
    const list = exchanges.find((e) => e.method === 'GET' && Array.isArray(object(e.body).value));
    if (list) assert.ok((object(list.body).value as unknown[]).map((c) => applicationCredential.fromWire(object(c))).every((c) => c.name));
  },
  'graph-application-create-post': async () => {
    const parsed = application.fromWire(object(read('graph-application-create-post').body));
    assert.equal(parsed.id, '4d5c0e0b-9816-4aa2-a444-395e807c6f80');
    assert.ok(parsed.appId);
  },
  'graph-application-list-filter-appid': async () => {
    const value = object(read('graph-application-list-filter-appid').body).value as unknown[];
    assert.equal(application.fromWire(object(value[0])).appId, '1a139bcd-74f9-48e2-834a-d897c7a9b4d6');
  },
  'graph-serviceprincipal-create-errors': async () => {
    const recording = read('graph-serviceprincipal-create-errors');
    const asGraphError = (status: number, body: unknown) => {
      const error = object(object(body).error);
      return toTaskError('graph', 'create the service principal', { statusCode: status, code: error.code, message: error.message });
    };
    assert.equal(isAwaitingApplication(asGraphError(400, recording.body), false), true);
    assert.equal(isAwaitingApplication(asGraphError(403, recording.alt_status_403_body), true), true);
    assert.equal(isAwaitingApplication(asGraphError(403, recording.alt_status_403_body), false), false, 'not for an application someone else made');
    const notFound = asGraphError(404, { error: { code: 'Request_ResourceNotFound', message: "Resource 'x' does not exist." } });
    assert.equal(isAwaitingApplication(notFound, true), true);
  },
};

/** Recordings that are notes, not bodies the task parses. */
const NOT_PARSED: Record<string, string> = {
  'graph-upsert-docs-notes': 'documentation notes on Prefer: create-if-missing (201 with a body, 204 without): the upsert reads a 204 by a GET',
};

describe('recorded bodies through the task parsers (tests/fixtures/recordings)', () => {
  it('every recording is parsed here or says why not', () => {
    const files = readdirSync(DIRECTORY)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    assert.deepEqual(
      files.filter((f) => !PARSED[f] && !NOT_PARSED[f]),
      [],
    );
  });
  for (const [name, check] of Object.entries(PARSED)) it(name, check);
});

describe('a connection read back by its id (ado-serviceendpoint-get-real)', () => {
  const notReady = { id: 'c1', name: 'app1-dev', tenantId: 't', clientId: 'c', issuer: '', subject: '', ready: false, disabled: false, projectIds: ['p'] };
  const clientsReading = (body: unknown): Clients =>
    ({ clock: systemClock, devops: devopsAnswering({ status: 200, body }, body === null ? '' : JSON.stringify(body)) }) as unknown as Clients;

  it('names the missing role when Azure DevOps answers no connection for its id, without waiting', async () => {
    await assert.rejects(untilReady(clientsReading(null), { id: 'p', name: 'platform' }, notReady), (error: TaskError) =>
      /identity of devOpsAuth cannot read it.*a User of the connection/.test(error.describe()),
    );
  });

  it('names the missing role for an object without its authorization details', async () => {
    const partial = { id: 'c1', name: 'app1-dev', type: null, data: null, authorization: null };
    await assert.rejects(untilReady(clientsReading(partial), { id: 'p', name: 'platform' }, notReady), (error: TaskError) =>
      /may see only part of it.*Security/.test(error.describe()),
    );
  });
});
