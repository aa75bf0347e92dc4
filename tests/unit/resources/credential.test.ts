/** The federated credential on whichever identity: src/resources/credential.ts's entry of the change set. */
import { strict as assert } from 'node:assert';
import { ConflictError } from '../../../src/errors';
import { parseRequest } from '../../../src/request';
import * as credential from '../../../src/resources/credential';
import { ISSUER, observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';

describe('credential', () => {
  const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev' }));

  it('creates the credential of a new connection, asking for the credential write in the identity resource group', () => {
    const entry = credential.decide(req, observed(req, { armPermissions: {} }));
    assert.equal(entry.action, 'create');
    assert.equal(entry.name, undefined, 'named after the id of the connection apply creates');
    assert.match(
      entry.needs[0].unmet,
      /lacks Microsoft\.ManagedIdentity\/userAssignedIdentities\/federatedIdentityCredentials\/write at \/subscriptions\/11111111-2222-3333-4444-555555555555\/resourceGroups\/rg-identities/,
    );
  });

  it('keeps the credential that trusts the connection, asking for nothing', () => {
    assert.deepEqual(credential.decide(req, rerun(req)), {
      action: 'keep',
      what: "federated credential on managed identity 'id-app1-dev' for the connection's issuer and subject",
      needs: [],
      existing: {
        name: 'azure-devops-connection-id',
        issuer: ISSUER,
        subject: '/eid1/c/pub/t/x/a/y/sc/org/connection-id',
        audiences: ['api://AzureADTokenExchange'],
      },
    });
  });

  it('adds a credential under another name when Azure DevOps moved the connection to a new issuer, and says so', () => {
    const found = rerun(req);
    const entry = credential.decide(req, { ...found, credential: [{ ...found.credential[0], issuer: 'https://vstoken.dev.azure.com/org' }] });
    assert.equal(entry.action, 'create');
    assert.notEqual(entry.name, 'azure-devops-connection-id');
    assert.match(
      entry.what,
      /\(Azure DevOps moved the connection to issuer 'https:\/\/login\.microsoftonline\.com\/tenant-guid\/v2\.0'; the credential for the old one stays\)$/,
    );
  });

  it("refuses before any write an identity that already holds Entra ID's 20 federated credentials, naming the limit and the fix; one more trusting the connection is kept (issue 24, class 4)", () => {
    const found = rerun(req);
    const others = Array.from({ length: 20 }, (_, i) => ({
      name: `other-${i}`,
      issuer: 'https://token.actions.githubusercontent.com',
      subject: `repo:o/r:${i}`,
      audiences: ['api://AzureADTokenExchange'],
    }));
    const refuses = (request: typeof req, observedHere: Parameters<typeof credential.decide>[1], fix: RegExp) =>
      assert.throws(
        () => credential.decide(request, observedHere),
        (error: unknown) =>
          error instanceof ConflictError &&
          /^Could not add the connection's federated credential to .*: .* already holds 20 federated credentials, the most Entra ID allows \(20\)\. Before any write: remove a federated credential it no longer needs/.test(
            error.describe(),
          ) &&
          fix.test(error.describe()),
      );
    refuses(req, { ...found, credential: others }, /or set identityName to give this connection an identity of its own; then re-run the task$/);
    refuses(req, { ...observed(req), credential: others }, /identityName/);
    const app = parseRequest(rawTask({ identityType: 'appRegistration', identityResourceGroup: '' }));
    refuses(
      app,
      { ...observed(app), credential: others },
      /App registrations, the application, Certificates & secrets, Federated credentials\); then re-run the task$/,
    );
    assert.equal(credential.decide(req, { ...found, credential: [...others.slice(1), found.credential[0]] }).action, 'keep', 'the 20th trusts the connection');
  });

  it('asks for no ARM permission on an application (Graph answers the write)', () => {
    const app = parseRequest(rawTask({ identityType: 'appRegistration', identityResourceGroup: '' }));
    assert.deepEqual(credential.decide(app, observed(app)).needs, []);
  });
});
