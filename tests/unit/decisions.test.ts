import { strict as assert } from 'node:assert';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { ConflictError } from '../../src/errors';
import { decideCredential } from '../../src/resources/federatedCredential';
import { decideIdentity, fromWire } from '../../src/resources/managedIdentity';
import { decideConnection, DesiredConnection, toWire } from '../../src/resources/serviceConnection';

/** The pure decisions of each resource module, which decide (src/decide.ts) puts together. */
describe('decisions', () => {
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

  describe('decideCredential', () => {
    const desired = {
      resourceGroup: 'rg',
      identityName: 'id',
      name: 'azure-devops-c1',
      alternative: 'azure-devops-c1-0badf00d',
      issuer: 'https://login/t/v2.0',
      subject: '/eid1/sc/o/c1',
    };
    const trusting = { name: 'hand-made', issuer: desired.issuer, subject: desired.subject, audiences: ['api://AzureADTokenExchange'] };
    const github = { name: 'github', issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:x', audiences: ['api://AzureADTokenExchange'] };

    it('keeps a credential that already trusts the connection, under any name', () => {
      assert.deepEqual(decideCredential(desired, [github, trusting]), { action: 'keep', credential: trusting });
    });

    it('creates ours when missing, updates it when only its audience differs, and never counts on the others', () => {
      assert.deepEqual(decideCredential(desired, [github, { ...trusting, name: 'azure-devops-c1', audiences: ['other'] }]), {
        action: 'update',
        name: 'azure-devops-c1',
      });
      assert.deepEqual(decideCredential(desired, [github]), { action: 'create', name: 'azure-devops-c1' });
      assert.deepEqual(decideCredential(desired, []), { action: 'create', name: 'azure-devops-c1' });
    });

    it('adds a credential of its own for a new issuer and subject, and leaves the old pair as it is', () => {
      const old = { ...trusting, name: 'azure-devops-c1', issuer: 'https://vstoken.dev.azure.com/org', subject: 'sc://o/p/c1' };
      assert.deepEqual(decideCredential(desired, [github, old]), { action: 'create', name: 'azure-devops-c1-0badf00d' });
      assert.deepEqual(
        decideCredential(desired, [old, { ...old, name: 'azure-devops-c1-0badf00d', audiences: [], issuer: desired.issuer, subject: desired.subject }]),
        {
          action: 'update',
          name: 'azure-devops-c1-0badf00d',
        },
      );
    });
  });

  describe('decideConnection', () => {
    const desired: DesiredConnection = {
      name: 'app1-dev',
      description: '',
      project: { id: 'p', name: 'platform' },
      environment: 'AzureCloud',
      resourceManagerUrl: 'https://management.azure.com/',
      tenantId: 't',
      clientId: 'c',
      subscriptionId: 's',
      subscriptionName: 'Dev',
    };
    const found = (changes: Partial<ServiceEndpoint> = {}): ServiceEndpoint => ({ ...toWire(desired), id: 'e', ...changes });

    it('creates when the name is free, keeps the same connection, updates a changed one', () => {
      assert.equal(decideConnection(desired, null, 'reuse'), 'create');
      assert.equal(decideConnection(desired, found(), 'reuse'), 'keep');
      assert.equal(decideConnection(desired, found({ description: 'old' }), 'reuse'), 'update');
    });

    it("refuses another identity's connection, and any when told to fail", () => {
      assert.throws(
        () =>
          decideConnection(
            desired,
            found({ authorization: { scheme: 'WorkloadIdentityFederation', parameters: { tenantid: 't', serviceprincipalid: 'other' } } }),
            'reuse',
          ),
        ConflictError,
      );
      assert.throws(() => decideConnection(desired, found(), 'fail'), ConflictError);
    });
  });
});
