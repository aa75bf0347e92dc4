/**
 * src/inventory/classify.ts: a connection's findings from what was read, on recorded and published bodies
 * (the recorded WIF connection, the published AzureRM secret connection, Graph's application, ARM's
 * federated credentials) through the converters the inventory reads them with.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { classify, FINDINGS, isAzureDevOpsIssuer, type Thresholds } from '../../../src/inventory/classify';
import { connectionFromWire } from '../../../src/inventory/connections';
import { identityFrom } from '../../../src/inventory/identities';
import type { ConnectionRead, Identity } from '../../../src/inventory/model';
import { FINDING_CODES } from '../../../src/requestInventory';
import { recording } from '../recorded';

const NOW = Date.parse('2026-12-07T00:00:00Z');
const THRESHOLDS: Thresholds = { now: NOW, secretExpiryDays: 30, unusedDays: 90 };
const PROJECT = { id: 'c7e5f0b3-71fa-4429-9fb3-3321963a7c06', name: 'TestProject' };
const DAY = 24 * 3600 * 1000;

/** The published AzureRM example (ServicePrincipal, spnKey), as Azure DevOps answers it. */
function published(): ServiceEndpoint {
  const file = join(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    'tests',
    'fixtures',
    'contracts',
    'ado-serviceendpoint-7.2',
    'httpExamples',
    'endpoints',
    'CreateAzureRMEndpoint.json',
  );
  const example = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { responses: { 200: { body: ServiceEndpoint } } };
  return example.responses[200].body;
}

/** The recorded WIF connection's authorization on the published connection's frame (the recording is trimmed to it). */
function federated(issuer?: string): ServiceEndpoint {
  const wire = { ...published(), authorization: structuredClone(recording('ado-serviceendpoint-create-wif-response').body as ServiceEndpoint).authorization };
  if (issuer) wire.authorization!.parameters!.workloadIdentityFederationIssuer = issuer;
  return wire;
}

const used = { at: new Date(NOW - 3 * DAY).toISOString() };
const codes = (read: ConnectionRead): string[] => classify(read, THRESHOLDS).map((f) => `${f.code}:${f.severity}`);

function application(credentials: { issuer: string; subject: string }[], extra: Record<string, unknown> = {}): Identity {
  const app: Record<string, unknown> = {
    ...(recording('graph-application-list-filter-appid').body as { value: Record<string, unknown>[] }).value[0],
    signInAudience: 'AzureADMyOrg',
    ...extra,
  };
  return identityFrom(
    String(app.appId),
    {
      id: 'sp0',
      status: 200,
      body: { id: 'b5b6c7d8-0000-4000-8000-000000000001', appId: app.appId, servicePrincipalType: 'Application', signInAudience: 'AzureADMyOrg' },
    },
    { id: 'app0', status: 200, body: { ...app, federatedIdentityCredentials: credentials.map((c, i) => ({ name: `fic${i}`, ...c })) } },
    'aaaabbbb-0000-cccc-1111-dddd2222eeee',
  );
}

describe('inventory classification', () => {
  it('has a severity and a fix for every finding of the vocabulary', () => {
    assert.deepEqual(Object.keys(FINDINGS), [...FINDING_CODES]);
  });

  it('a recorded workload identity connection whose identity trusts its issuer and subject has no finding', () => {
    const connection = connectionFromWire(federated(), PROJECT);
    assert.equal(connection.issuer, 'https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0');
    const identity = application([{ issuer: connection.issuer, subject: connection.subject! }]);
    assert.deepEqual(codes({ connection, identity, lastUse: used }), []);
  });

  it('federatedCredentialMissing when no credential matches; ARM-recorded credentials of a managed identity are read the same', () => {
    const connection = connectionFromWire(federated(), PROJECT);
    assert.deepEqual(codes({ connection, identity: application([{ issuer: connection.issuer!, subject: 'other' }]), lastUse: used }), [
      'federatedCredentialMissing:error',
    ]);
    const fics = (recording('arm-msi-fic-list').body as { value: { name: string; properties: { issuer: string; subject: string } }[] }).value;
    const identity: Identity = {
      kind: 'managedIdentity',
      clientId: connection.clientId!,
      objectId: 'o',
      resourceId: '/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ide',
      federatedCredentials: fics.map((f) => ({ name: f.name, ...f.properties })),
    };
    assert.deepEqual(codes({ connection, identity, lastUse: used }), ['federatedCredentialMissing:error']);
  });

  it("Azure DevOps' issuer: a warning with the deadline; info for a sovereign cloud or a multi-tenant application", () => {
    for (const issuer of ['https://vstoken.dev.azure.com/4a5e1c3e-5b0d-4e7f-8f35-8b2a9f1d2c3b', 'https://app.vstoken.visualstudio.com']) {
      assert.ok(isAzureDevOpsIssuer(issuer), issuer);
      const connection = connectionFromWire(federated(issuer), PROJECT);
      const [finding] = classify({ connection, lastUse: used }, THRESHOLDS);
      assert.equal(finding.code, 'azureDevOpsIssuer');
      assert.match(
        finding.message,
        /^Service connection 'MyNewARMServiceEndpoint' \(project TestProject\) signs in with Azure DevOps' issuer .* retires on 1 July 2027\.$/,
      );
      assert.match(finding.fix, /action migrate/);
      assert.deepEqual(codes({ connection: { ...connection, environment: 'AzureChinaCloud' }, lastUse: used }), ['azureDevOpsIssuer:info']);
      const multiTenant = application([{ issuer, subject: connection.subject! }], { signInAudience: 'AzureADMultipleOrgs' });
      assert.deepEqual(codes({ connection, identity: multiTenant, lastUse: used }), ['azureDevOpsIssuer:info', 'multiTenantApp:warning']);
    }
    assert.ok(!isAzureDevOpsIssuer('https://login.microsoftonline.com/t/v2.0'));
    assert.ok(!isAzureDevOpsIssuer('not a url'));
  });

  it('the published secret connection: secret, then secretExpired or secretExpiresSoon by its last secret', () => {
    const connection = connectionFromWire(published(), PROJECT);
    assert.deepEqual([connection.scheme, connection.authenticationType, connection.creationMode], ['ServicePrincipal', 'spnKey', 'Manual']);
    const withSecrets = (days: number[]): Identity =>
      application([], { passwordCredentials: days.map((d, i) => ({ keyId: `k${i}`, displayName: null, endDateTime: new Date(NOW + d * DAY).toISOString() })) });
    assert.deepEqual(codes({ connection, identity: withSecrets([400]), lastUse: used }), ['secret:warning']);
    assert.deepEqual(codes({ connection, identity: withSecrets([-100, 10]), lastUse: used }), ['secret:warning', 'secretExpiresSoon:warning']);
    assert.deepEqual(codes({ connection, identity: withSecrets([-100, -1]), lastUse: used }), ['secret:warning', 'secretExpired:error']);
    const certificate = { ...connection, authenticationType: 'spnCertificate' };
    const certificates = application([], { keyCredentials: [{ keyId: 'c', displayName: 'cert', endDateTime: new Date(NOW - DAY).toISOString() }] });
    assert.deepEqual(codes({ connection: certificate, identity: certificates, lastUse: used }), ['certificate:info', 'secretExpired:error']);
  });

  it('disabled, not ready, unused (none recorded, or older than unusedDays), identity not found, verification failed', () => {
    const connection = connectionFromWire(federated(), PROJECT);
    assert.deepEqual(codes({ connection: { ...connection, isDisabled: true }, lastUse: { at: null } }), ['disabled:warning']);
    const failed = { ...connection, isReady: false, operation: { state: 'Failed', message: 'The identity was not found.' } };
    assert.match(classify({ connection: failed, lastUse: used }, THRESHOLDS)[0].message, /is not ready \(Failed\): The identity was not found\.$/);
    assert.deepEqual(codes({ connection, lastUse: { at: null } }), ['unused:warning']);
    assert.deepEqual(codes({ connection, lastUse: { at: new Date(NOW - 91 * DAY).toISOString() } }), ['unused:warning']);
    assert.deepEqual(codes({ connection, lastUse: { at: new Date(NOW - 89 * DAY).toISOString() } }), []);
    assert.deepEqual(codes({ connection, identity: { kind: 'notFound', clientId: 'c' }, lastUse: used }), ['identityNotFound:error']);
    assert.deepEqual(codes({ connection, lastUse: used, verified: { ok: false, message: 'AADSTS700213: No matching federated identity record found' } }), [
      'verifyFailed:error',
    ]);
    assert.deepEqual(codes({ connection, lastUse: used, verified: { ok: true, message: null } }), []);
  });

  it('what could not be read is unreadable, naming what to grant; never "not found"', () => {
    const connection = connectionFromWire(federated(), PROJECT);
    const refused = {
      unreadable: true as const,
      reason: 'HTTP 403 Authorization_RequestDenied',
      grant: 'the Microsoft Graph application permission Application.Read.All',
    };
    const graph = identityFrom(
      'c',
      { id: 'sp0', status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges' } } },
      undefined,
      't',
    );
    const [finding] = classify({ connection, identity: graph, lastUse: used }, THRESHOLDS);
    assert.equal(finding.code, 'unreadable');
    assert.match(finding.message, /^Service connection 'MyNewARMServiceEndpoint' \(project TestProject\): could not read its identity/);
    assert.match(finding.fix, /^grant the Microsoft Graph application permission Application\.Read\.All/);
    assert.deepEqual(codes({ connection, lastUse: refused }), ['unreadable:warning']);
    assert.deepEqual(codes({ connection, lastUse: used, verified: refused }), ['unreadable:warning']);
    const partial = connectionFromWire(
      {
        ...(recording('ado-serviceendpoint-get-real').body as ServiceEndpoint),
        type: null as unknown as string,
        authorization: null as unknown as ServiceEndpoint['authorization'],
      },
      PROJECT,
    );
    assert.ok(partial.partial);
    assert.deepEqual(codes({ connection: partial, lastUse: used }), ['unreadable:warning']);
    assert.throws(() => identityFrom('c', { id: 'sp0', status: 500 }, undefined, 't'), /Microsoft Graph answered HTTP 500/);
  });
});
