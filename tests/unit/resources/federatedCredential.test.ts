/** The managed identity's federated credential: src/resources/federatedCredential.ts's decision and converters. */
import { strict as assert } from 'node:assert';
import * as credential from '../../../src/resources/federatedCredential';
import { decideCredential } from '../../../src/resources/federatedCredential';
import { msiAnswering, recording } from '../recorded';

describe('federated credential', () => {
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
});

describe('federated credential converters', () => {
  const desired = { resourceGroup: 'rg', identityName: 'id', name: 'azure-devops-x', issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X' };

  it('write the issuer and subject as given with the token exchange audience', () => {
    assert.deepEqual(credential.toWire(desired), { issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X', audiences: ['api://AzureADTokenExchange'] });
  });

  it('match subjects case-sensitively, as Entra does', () => {
    const found = credential.fromWire({ name: 'n', ...credential.toWire(desired) });
    assert.ok(credential.trusts(found, desired));
    assert.ok(!credential.trusts({ ...found, subject: '/eid1/sc/org/x' }, desired));
  });
});

describe('recorded federated credentials (tests/fixtures/recordings/)', () => {
  it('arm-msi-fic-list', async () => {
    const credentials: credential.FederatedCredential[] = [];
    for await (const wire of msiAnswering(recording('arm-msi-fic-list')).federatedIdentityCredentials.list('rg', 'ide'))
      credentials.push(credential.fromWire(wire));
    assert.ok(credentials.length >= 2);
    assert.deepEqual(credentials[0], {
      name: 'fic1',
      issuer: 'https://oidc.prod-aks.azure.com/IssuerGUID',
      subject: 'system:serviceaccount:ns:svcaccount1',
      audiences: ['api://AzureADTokenExchange'],
    });
  });

  it('arm-msi-fic-put-create', async () => {
    const written = await msiAnswering(recording('arm-msi-fic-put-create')).federatedIdentityCredentials.createOrUpdate('rg', 'ide', 'fic1', {
      issuer: 'i',
      subject: 's',
      audiences: ['a'],
    });
    assert.equal(credential.fromWire(written).subject, 'system:serviceaccount:ns:svcaccount1');
  });

  it('arm-msi-fic-put-update', async () => {
    const written = await msiAnswering(recording('arm-msi-fic-put-update')).federatedIdentityCredentials.createOrUpdate('rg', 'ide', 'fic1', {
      issuer: 'i',
      subject: 's',
      audiences: ['a'],
    });
    assert.ok(credential.fromWire(written).issuer);
  });
});
