/** The managed identity's federated credential: src/resources/federatedCredential.ts's decision. */
import { strict as assert } from 'node:assert';
import { decideCredential } from '../../../src/resources/federatedCredential';

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
