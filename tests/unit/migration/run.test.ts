/**
 * Action migrate's pure parts beside its decision (tests/unit/migration.test.ts): the request, the organization
 * id and the issued pair copied from connections, the Graph preflight, the conversion's body, the ending, the
 * summary and the command line's words for it.
 */
import { strict as assert } from 'node:assert';
import { rolesOf } from '../../../src/clients/graph';
import { parseCommandLine } from '../../../src/commandLine/flags';
import { migrationTable } from '../../../src/commandLine/inventoryTable';
import { InputError } from '../../../src/errors';
import type { Connection } from '../../../src/inventory/model';
import type { Migration } from '../../../src/migration/apply';
import { decideMigration, organizationIdOf } from '../../../src/migration/decide';
import { graphAccess } from '../../../src/migration/read';
import { migratedCount, type MigrationReport, resultOf } from '../../../src/migration/report';
import { migrationSummary } from '../../../src/migrationSummary';
import { conversionBody } from '../../../src/resources/connectionConversion';
import { parseMigrationRequest } from '../../../src/requestMigration';
import { rawTask } from '../fixtures';

const ORG = '11111111-2222-3333-4444-555555555555';
const TENANT = '99999999-8888-7777-6666-555555555555';
const AUTHORITY = 'https://login.microsoftonline.com/';
const ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: ID,
    name: 'c1',
    project: { id: 'p', name: 'p' },
    sharedWith: [],
    scheme: 'WorkloadIdentityFederation',
    tenantId: TENANT,
    clientId: 'client',
    isDisabled: false,
    partial: false,
    ...overrides,
  };
}

function migration(outcome: Migration['outcome'], overrides: Partial<Migration> = {}): Migration {
  return {
    outcome,
    reason: null,
    fix: null,
    fixable: false,
    revertBefore: null,
    before: 'secret',
    after: 'secret',
    verified: null,
    credentialsAdded: [],
    secretsKept: [],
    ...overrides,
  };
}

describe('action migrate, its pure parts', () => {
  it('takes migrateConnections (required, one a line or *), the dry run and the verification bound; ignores the findings inputs', () => {
    const request = parseMigrationRequest(
      rawTask({ action: 'migrate', connectionName: '', migrateConnections: 'a\n\n b \nA', dryRun: 'true', failOn: 'nonsense' }),
    );
    assert.deepEqual(request.migrateConnections, ['a', 'b']);
    assert.deepEqual([request.dryRun, request.verifyTimeoutSeconds, request.verify, request.failOn], [true, 300, undefined, []]);
    assert.throws(
      () => parseMigrationRequest(rawTask({ action: 'migrate', connectionName: '', migrateConnections: ' ' })),
      (error: unknown) => error instanceof InputError && error.input === 'migrateConnections' && /never|one a line/.test(error.message),
    );
  });

  it("copies the organization id from an Entra subject or the Azure DevOps issuer, and gives a converted connection's untrusted pair a credential", () => {
    assert.equal(organizationIdOf([connection({ issuer: `${AUTHORITY}${TENANT}/v2.0`, subject: `/eid1/c/pub/t/x/a/y/sc/${ORG}/${ID}` })]), ORG);
    assert.equal(organizationIdOf([connection({ issuer: `https://vstoken.dev.azure.com/${ORG}`, subject: 'sc://contoso/p/c1' })]), ORG);
    assert.equal(organizationIdOf([connection({ issuer: 'https://example.com', subject: 'x' })]), undefined);
    // Cut between ConvertAuthenticationScheme (which issued Azure DevOps' former pair) and that pair's credential.
    const former = { issuer: `https://vstoken.dev.azure.com/${ORG}`, subject: 'sc://contoso/p/c1' };
    const entra = { issuer: `${AUTHORITY}${TENANT}/v2.0`, subject: `/eid1/sc/${ORG}/${ID}` };
    const decision = decideMigration(
      {
        connection: connection({ ...former, revertSchemeDeadline: '2030-01-01T00:00:00Z' }),
        identity: {
          kind: 'appRegistration',
          clientId: 'client',
          objectId: 'sp',
          multiTenant: false,
          application: { objectId: 'app', federatedCredentials: [{ name: 'e', ...entra }], credentials: [] },
        },
        access: { canWrite: true },
      },
      { organizationId: ORG, authorityHost: AUTHORITY, prefixes: new Map([[TENANT, '/eid1/sc/']]) },
    );
    assert.equal(decision.kind, 'prepare');
    assert.ok(
      decision.kind === 'prepare' && decision.credential.action === 'keep' && decision.issued?.pair.subject === former.subject,
      JSON.stringify(decision),
    );
  });

  it("reads the Graph token's application permissions for the preflight: All writes, OwnedBy is unknown, neither may not", () => {
    const token = (roles: unknown) => `h.${Buffer.from(JSON.stringify({ roles })).toString('base64url')}.s`;
    assert.deepEqual(rolesOf(token(['Application.ReadWrite.All'])), ['Application.ReadWrite.All']);
    assert.equal(rolesOf('not a token'), undefined);
    const app = { kind: 'application', objectId: 'o' } as const;
    assert.deepEqual(graphAccess(['Application.ReadWrite.All'], app), { canWrite: true });
    assert.deepEqual(graphAccess(['Application.ReadWrite.OwnedBy'], app), { canWrite: 'unknown' });
    assert.deepEqual(graphAccess(undefined, app), { canWrite: 'unknown' });
    const none = graphAccess(['Application.Read.All'], app);
    assert.ok(none.canWrite === false && /Application\.ReadWrite\.All/.test(none.grant));
  });

  it('sends the connection as read with the new scheme and without data.revertSchemeDeadline', () => {
    const read = {
      id: ID,
      name: 'c1',
      data: { creationMode: 'Manual', revertSchemeDeadline: 'x' },
      authorization: { scheme: 'ServicePrincipal', parameters: { tenantid: TENANT } },
    };
    const body = conversionBody(read);
    assert.deepEqual(body, {
      id: ID,
      name: 'c1',
      data: { creationMode: 'Manual' },
      authorization: { scheme: 'WorkloadIdentityFederation', parameters: { tenantid: TENANT } },
    });
    assert.equal(read.data.revertSchemeDeadline, 'x', 'the read is left alone');
  });

  it('ends Failed on a failure, SucceededWithIssues on a fixable skip, a prepare, an unverified conversion or an unknown name, else Succeeded', () => {
    assert.equal(resultOf([migration('converted', { verified: true }), migration('failed')], 0), 'Failed');
    assert.equal(resultOf([migration('prepared')], 0), 'SucceededWithIssues');
    assert.equal(resultOf([migration('skipped', { fixable: true })], 0), 'SucceededWithIssues');
    assert.equal(resultOf([migration('converted', { verified: false })], 0), 'SucceededWithIssues');
    assert.equal(resultOf([migration('already')], 1), 'SucceededWithIssues');
    assert.equal(resultOf([migration('converted', { verified: true }), migration('already'), migration('skipped')], 0), 'Succeeded');
    assert.equal(migratedCount([migration('converted'), migration('prepared'), migration('already'), migration('failed')]), 2);
  });

  it('summarizes each connection before → after, verified and its revert deadline, and the secrets kept; the command line tables it', () => {
    const report = {
      dryRun: false,
      connections: [
        {
          name: 'app1|dev',
          project: 'p',
          url: null,
          migration: migration('converted', {
            after: 'Entra issuer',
            verified: true,
            revertBefore: '2030-01-08T10:00:00.0000000Z',
            secretsKept: [{ keyId: 'k1', kind: 'secret', endDateTime: '2030-02-01T00:00:00Z' }],
          }),
        },
        { name: 'old', project: 'p', url: null, migration: migration('prepared', { before: 'Azure DevOps issuer', after: 'Azure DevOps issuer' }) },
      ],
      summary: { outcomes: { converted: 1, prepared: 1 } },
    } as unknown as MigrationReport;
    const { markdown } = migrationSummary({ subject: 'contoso', report, outputs: [['migratedCount', '2']] }, { result: 'SucceededWithIssues', message: 'm' });
    assert.match(markdown, /\| app1\\\|dev \| p \| secret → Entra issuer \| `converted` \| yes \| 2030\\-01\\-08 10:00 \|/);
    assert.match(markdown, /### Client secrets kept[\s\S]*secret k1 \\\(expires 2030\\-02\\-01\\\)/);
    assert.match(markdown, /`migratedCount` \| `2`/);
    assert.match(migrationTable(report), /^p +old +Azure DevOps issuer → Azure DevOps issuer +prepared$/m);
  });

  it('takes `migrate --dry-run` and `migrate` with repeated --migrate-connections on the command line', () => {
    for (const [argv, dryRun] of [
      [['migrate', '--organization-url', 'https://dev.azure.com/contoso', '--migrate-connections', 'a', '--migrate-connections', 'b', '--dry-run'], 'true'],
      [['migrate', '--organization-url', 'https://dev.azure.com/contoso', '--migrate-connections', '*'], 'false'],
    ] as const) {
      const parsed = parseCommandLine([...argv]);
      assert.equal(parsed.kind, 'run');
      const { inputs } = (parsed as { commandLine: { inputs: Record<string, string> } }).commandLine;
      assert.equal(inputs.action, 'migrate');
      assert.equal(inputs.dryRun, dryRun);
      assert.equal(inputs.migrateConnections, dryRun === 'true' ? 'a\nb' : '*');
    }
  });
});
