/** The managed identity: src/resources/managedIdentity.ts's decisions and converters. */
import { strict as assert } from 'node:assert';
import { ConflictError } from '../../../src/errors';
import { parseRequest } from '../../../src/request';
import * as managedIdentity from '../../../src/resources/managedIdentity';
import { decideIdentity, fromWire } from '../../../src/resources/managedIdentity';
import { observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';
import { msiAnswering, recording } from '../recorded';

describe('managed identity', () => {
  describe('decideIdentity', () => {
    const desired = { resourceGroup: 'rg', name: 'id-app1-dev', location: 'westeurope', owner: 'contoso/p/app1-dev' };
    const existing = (tags: Record<string, string>) => fromWire({ name: 'id-app1-dev', location: 'westeurope', tags }, 'rg');

    it('creates a missing identity, keeps ours and an untagged one', () => {
      assert.equal(decideIdentity(desired, null), 'create');
      assert.equal(decideIdentity(desired, existing({ 'azure-devops-connection': 'contoso/p/app1-dev' })), 'keep');
      assert.equal(decideIdentity(desired, existing({ owner: 'someone' })), 'keep');
    });

    it('refuses one that serves another connection', () => {
      assert.throws(() => decideIdentity(desired, existing({ 'azure-devops-connection': 'contoso/p/app1-test' })), ConflictError);
    });
  });

  describe('the entry of the change set', () => {
    const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev' }));

    it("puts the identity in its resource group's region unless a region is asked for", () => {
      assert.equal(managedIdentity.decide(req, observed(req))?.desired.location, 'westeurope');
      const elsewhere = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', identityLocation: 'northeurope' }));
      assert.equal(managedIdentity.decide(elsewhere, observed(elsewhere))?.desired.location, 'northeurope');
    });

    it('asks for the identity write in its resource group, and for nothing to keep it', () => {
      const created = managedIdentity.decide(req, observed(req, { armPermissions: {} }));
      assert.deepEqual(created?.needs, [
        {
          allowed: undefined,
          unmet:
            "the bootstrap connection's identity lacks Microsoft.ManagedIdentity/userAssignedIdentities/write at /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-identities (assign it Managed Identity Contributor or Contributor on resource group 'rg-identities')",
        },
      ]);
      assert.deepEqual(managedIdentity.decide(req, rerun(req))?.needs, []);
    });

    it('has no entry for an app registration', () => {
      const app = parseRequest(rawTask({ identityType: 'appRegistration', identityResourceGroup: '' }));
      assert.equal(managedIdentity.decide(app, observed(app)), undefined);
    });

    it('warns when the identity exists in another region than the one asked for', () => {
      const elsewhere = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', identityLocation: 'northeurope' }));
      assert.deepEqual(managedIdentity.warnings(req, rerun(req)), []);
      assert.match(managedIdentity.warnings(elsewhere, rerun(elsewhere))[0], /exists in 'westeurope' and a location cannot change/);
    });
  });
});

describe('managed identity converters', () => {
  const desired = { resourceGroup: 'rg', name: 'id-app1-dev', location: 'westeurope', owner: 'contoso/p-id/app1-dev' };

  it('tag a new identity with the task and the connection it serves', () => {
    assert.deepEqual(managedIdentity.toWire(desired), {
      location: 'westeurope',
      tags: { 'created-by': 'WorkloadIdentityConnection', 'azure-devops-connection': 'contoso/p-id/app1-dev' },
    });
  });

  it("tell our identity from another connection's and from an untagged one", () => {
    const read = (tags: Record<string, string>) => managedIdentity.fromWire({ location: 'westeurope', tags }, 'rg');
    assert.equal(managedIdentity.ownership(read({ 'azure-devops-connection': 'CONTOSO/p-id/app1-dev' }), desired.owner), 'ours');
    assert.equal(managedIdentity.ownership(read({ 'azure-devops-connection': 'contoso/p-id/other' }), desired.owner), 'other');
    assert.equal(managedIdentity.ownership(read({}), desired.owner), 'unowned');
  });
});

describe('recorded managed identities (tests/fixtures/recordings/)', () => {
  it('arm-msi-identity-get', async () => {
    const recorded = recording('arm-msi-identity-get');
    const parsed = fromWire(await msiAnswering(recorded).userAssignedIdentities.get('rg', 'useridentityname'), 'rg');
    assert.equal(parsed.principalId, 'bb2c2e04-e730-438f-a371-23c8e0ea9c0b');
    assert.ok(parsed.clientId);
    assert.match(parsed.id, /\/resourcegroups\//, 'lower-case resourcegroups, as recorded');
    assert.deepEqual(parsed.tags, { key1: 'value1', key2: 'value2' });
  });

  it('arm-msi-identity-put-create', async () => {
    const parsed = fromWire(
      await msiAnswering(recording('arm-msi-identity-put-create')).userAssignedIdentities.createOrUpdate('rg', 'ide', { location: 'eastus2euap' }),
      'rg',
    );
    assert.ok(parsed.clientId && parsed.principalId && parsed.tenantId);
  });
});
