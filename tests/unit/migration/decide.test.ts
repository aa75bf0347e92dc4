/**
 * The pure part of a migration (src/migration.ts): the Entra prefix copied from a connection already on the
 * Entra issuer, and one decision per connection: convert, prepare, or skip with the reason and the fix.
 *
 * The connections are shaped as Azure DevOps answers them (docs/wire.md): a new connection's subject
 * `/eid1/c/pub/t/<tenant, .NET base64url>/a/<Azure DevOps app, base64url>/sc/<org id>/<connection id>` (the
 * shape in public samples, e.g. "Subject: /eid1/c/pub/t/<base64>/a/<base64>/sc/<org-guid>/<connection-id>"),
 * here for tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 (v4j5cvGGr0GRqy180BHbRw) and Azure DevOps'
 * application 499b84ac-1321-427f-aa17-267ca6975798 (rISbSSETf0KqFyZ8ppdXmA); an old one's
 * https://vstoken.dev.azure.com/<org id> and sc://<org>/<project>/<name>.
 */
import { strict as assert } from 'node:assert';
import {
  decideMigration,
  entraIssuer,
  entraPrefixes,
  otherIssuedPair,
  selectConnections,
  writeGrant,
  type MigrationCandidate,
  type MigrationConnection,
  type MigrationContext,
  type MigrationIdentity,
} from '../../../src/migration/decide';
import { federatedCredentialNameForPair } from '../../../src/resourceNames';

const AUTHORITY = 'https://login.microsoftonline.com/';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ORG = '5b1a2f3e-0d9c-4e8b-9a7f-6c5d4e3b2a10';
const PREFIX = '/eid1/c/pub/t/v4j5cvGGr0GRqy180BHbRw/a/rISbSSETf0KqFyZ8ppdXmA/sc/';
const ENTRA_ISSUER = `${AUTHORITY}${TENANT}/v2.0`;

function connection(id: string, overrides: Partial<MigrationConnection> = {}): MigrationConnection {
  return {
    id,
    name: `sc-${id.slice(0, 4)}`,
    project: { id: 'p1', name: 'platform' },
    sharedWith: [],
    scheme: 'ServicePrincipal',
    authenticationType: 'spnKey',
    creationMode: 'Manual',
    environment: 'AzureCloud',
    tenantId: TENANT,
    clientId: `client-${id}`,
    isDisabled: false,
    partial: false,
    ...overrides,
  };
}

const bootstrap = connection('0d6b3c2a-1111-4f00-8000-000000000001', {
  scheme: 'WorkloadIdentityFederation',
  issuer: ENTRA_ISSUER,
  subject: `${PREFIX}${ORG}/0d6b3c2a-1111-4f00-8000-000000000001`,
});

const context: MigrationContext = { organizationId: ORG, authorityHost: AUTHORITY, prefixes: entraPrefixes([bootstrap], ORG, AUTHORITY) };

function app(credentials: Array<{ name: string; issuer: string; subject: string }> = [], multiTenant = false): MigrationIdentity {
  return {
    kind: 'appRegistration',
    clientId: 'c',
    objectId: 'sp-1',
    multiTenant,
    application: {
      objectId: 'app-1',
      federatedCredentials: credentials,
      credentials: [{ keyId: 'k1', kind: 'secret', displayName: null, endDateTime: '2027-01-01T00:00:00Z' }],
    },
  };
}

const RG = '/subscriptions/s/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app1';

function decide(c: MigrationConnection, identity: MigrationIdentity | undefined = app(), extra: Partial<MigrationCandidate> = {}) {
  return decideMigration({ connection: c, identity, access: { canWrite: true }, ...extra }, context);
}

describe('migration', () => {
  describe('entraPrefixes', () => {
    it("copies the prefix of a connection on its tenant's Entra issuer whose subject ends with /sc/{org}/{its id}", () => {
      assert.equal(context.prefixes.get(TENANT), PREFIX);
    });

    it('ignores connections of another organization, another id, another issuer or without a subject', () => {
      const others = [
        { ...bootstrap, subject: `${PREFIX}another-org/${bootstrap.id}` },
        { ...bootstrap, subject: `${PREFIX}${ORG}/another-connection` },
        { ...bootstrap, issuer: `https://vstoken.dev.azure.com/${ORG}` },
        { ...bootstrap, subject: undefined },
        { ...bootstrap, tenantId: 'another-tenant' },
      ];
      assert.equal(entraPrefixes(others, ORG, AUTHORITY).size, 0);
    });

    it('builds the issuer from the cloud authority, with or without its trailing slash', () => {
      assert.equal(entraIssuer('https://login.microsoftonline.com', TENANT), ENTRA_ISSUER);
    });
  });

  describe('decideMigration', () => {
    const id = '7e0f5a4b-2222-4f00-8000-000000000002';
    const pair = { issuer: ENTRA_ISSUER, subject: `${PREFIX}${ORG}/${id}` };

    it('converts a secret connection: the Entra pair copied, a credential to add to its application', () => {
      const decision = decide(connection(id));
      assert.deepEqual(decision, {
        kind: 'convert',
        connection: connection(id),
        pair,
        target: { kind: 'application', objectId: 'app-1' },
        credential: { action: 'create', name: federatedCredentialNameForPair(id, pair.issuer, pair.subject) },
      });
    });

    it('converts a certificate connection and an automatic one whose application the run may write', () => {
      assert.equal(decide(connection(id, { authenticationType: 'spnCertificate' })).kind, 'convert');
      assert.equal(decide(connection(id, { creationMode: 'Automatic' })).kind, 'convert');
    });

    it('keeps a credential that already trusts the pair (a re-run after a crash adds no second one)', () => {
      const decision = decide(connection(id), app([{ name: 'someone-elses', ...pair }]));
      assert.equal(decision.kind, 'convert');
      assert.deepEqual('credential' in decision && decision.credential, { action: 'keep', name: 'someone-elses' });
    });

    it("prepares a federated connection on Azure DevOps' issuer: the credential goes to its managed identity, the old one stays", () => {
      const old = { name: `azure-devops-${id}`, issuer: `https://vstoken.dev.azure.com/${ORG}`, subject: 'sc://contoso/platform/sc-old' };
      const identity: MigrationIdentity = { kind: 'managedIdentity', clientId: 'c', objectId: 'o', resourceId: RG, federatedCredentials: [old] };
      const decision = decide(connection(id, { scheme: 'WorkloadIdentityFederation', issuer: old.issuer, subject: old.subject }), identity);
      assert.equal(decision.kind, 'prepare');
      assert.ok(decision.kind === 'prepare');
      assert.deepEqual(decision.target, { kind: 'managedIdentity', resourceId: RG });
      assert.deepEqual(decision.pair, pair);
      assert.equal(decision.credential.action, 'create');
    });

    it('stays prepared without a second credential once the Entra pair is trusted, even without write access', () => {
      const wif = connection(id, { scheme: 'WorkloadIdentityFederation', issuer: `https://vstoken.dev.azure.com/${ORG}`, subject: 'sc://contoso/platform/x' });
      const decision = decide(wif, app([{ name: 'prepared', ...pair }]), { access: { canWrite: false, grant: 'X' } });
      assert.ok(decision.kind === 'prepare');
      assert.deepEqual(decision.credential, { action: 'keep', name: 'prepared' });
    });

    const skips: Array<[string, MigrationConnection, MigrationIdentity | undefined, Partial<MigrationCandidate>, string, boolean, RegExp]> = [
      ['already on the Entra issuer', connection(id, { scheme: 'WorkloadIdentityFederation', ...pair }), app(), {}, 'already', false, /Nothing to do/],
      ['a sovereign cloud', connection(id, { environment: 'AzureUSGovernment' }), app(), {}, 'sovereignCloud', false, /public cloud only/],
      ['a multitenant application', connection(id), app([], true), {}, 'multiTenantApp', false, /multitenant/],
      ['ManagedServiceIdentity', connection(id, { scheme: 'ManagedServiceIdentity' }), undefined, {}, 'scheme', false, /Nothing to migrate/],
      ['PublishProfile', connection(id, { scheme: 'PublishProfile' }), undefined, {}, 'scheme', false, /Nothing to migrate/],
      ['a disabled connection', connection(id, { isDisabled: true }), app(), {}, 'disabled', true, /Enable it/],
      [
        'an operation in progress',
        connection(id, { operation: { state: 'InProgress', message: 'converting_scheme' } }),
        app(),
        {},
        'operationInProgress',
        true,
        /Re-run/,
      ],
      ['an identity not found', connection(id), { kind: 'notFound', clientId: 'c' }, {}, 'identityNotFound', true, /existing identity/],
      [
        'an application in another tenant',
        connection(id),
        { kind: 'appRegistration', clientId: 'c', objectId: 'o', multiTenant: false },
        {},
        'identityNotFound',
        true,
        /existing identity/,
      ],
      [
        'an identity the run may not read',
        connection(id),
        { kind: 'unreadable', clientId: 'c', unreadable: true, reason: '403', grant: 'Application.Read.All' },
        {},
        'unreadable',
        true,
        /Application\.Read\.All/,
      ],
      ['a connection seen in part', connection(id, { partial: true }), app(), {}, 'unreadable', true, /Administrator role/],
      [
        'an identity the run may not write',
        connection(id),
        app(),
        { access: { canWrite: false, grant: 'the Microsoft Graph permission Application.ReadWrite.All' } },
        'identityNotWritable',
        true,
        /Grant the Microsoft Graph permission Application\.ReadWrite\.All/,
      ],
      [
        'an automatic connection whose application the run may not write',
        connection(id, { creationMode: 'Automatic' }),
        app(),
        { access: { canWrite: false, grant: 'G' } },
        'automaticNotWritable',
        true,
        /Convert on the connection's page, as a user who owns the application/,
      ],
      [
        'a caller who is not Administrator of the connection',
        connection(id),
        app(),
        { devopsAdministrator: false },
        'notAdministrator',
        true,
        /Administrator role/,
      ],
      [
        'an identity with 20 credentials',
        connection(id),
        app(Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, issuer: 'i', subject: `s${i}` }))),
        {},
        'credentialLimit',
        true,
        /Remove a federated credential/,
      ],
    ];
    for (const [what, c, identity, extra, reason, fixable, fix] of skips) {
      it(`skips ${what} (${reason})`, () => {
        const decision = decide(c, identity, extra);
        assert.ok(decision.kind === 'skip', JSON.stringify(decision));
        assert.equal(decision.reason, reason);
        assert.equal(decision.fixable, fixable);
        assert.match(decision.fix, fix);
        assert.match(decision.message, new RegExp(`^Connection '${c.name}' `));
      });
    }

    it('skips a connection whose tenant has no connection on the Entra issuer, with the fix to provision one first', () => {
      const decision = decideMigration({ connection: connection(id), identity: app(), access: { canWrite: true } }, { ...context, prefixes: new Map() });
      assert.ok(decision.kind === 'skip');
      assert.equal(decision.reason, 'noEntraPrefix');
      assert.match(decision.fix, /Provision one connection in this tenant first/);
    });
  });

  describe('otherIssuedPair', () => {
    const prepared = { issuer: ENTRA_ISSUER, subject: `${PREFIX}${ORG}/x` };
    it('is nothing when the connection carries the prepared pair, the pair when Azure DevOps issued another', () => {
      assert.equal(otherIssuedPair(prepared, prepared), undefined);
      const former = { issuer: `https://vstoken.dev.azure.com/${ORG}`, subject: 'sc://contoso/platform/x' };
      assert.deepEqual(otherIssuedPair(prepared, former), former);
      assert.equal(otherIssuedPair(prepared, {}), undefined);
    });
  });

  describe('writeGrant', () => {
    it('names the Graph permission for an application and the Azure role on the resource group for a managed identity', () => {
      assert.match(writeGrant({ kind: 'application', objectId: 'a' }), /Application\.ReadWrite\.All/);
      assert.equal(
        writeGrant({ kind: 'managedIdentity', resourceId: RG }),
        "the Azure role Managed Identity Contributor on resource group 'rg-identities' to the bootstrap identity",
      );
    });
  });

  describe('selectConnections', () => {
    const all = [connection('aaaa-1', { name: 'web' }), connection('bbbb-2', { name: 'api' })];
    it('takes names or ids one a line, case-insensitively, and says which lines name nothing', () => {
      const { selected, unknown } = selectConnections([' WEB ', 'bbbb-2', '', 'nope'], all);
      assert.deepEqual(
        selected.map((c) => c.name),
        ['web', 'api'],
      );
      assert.deepEqual(unknown, ['nope']);
    });
    it('takes every connection for *', () => {
      assert.equal(selectConnections(['*'], all).selected.length, 2);
    });
  });
});
