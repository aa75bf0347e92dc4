/** The lookups that validate an input against the world: src/resources/lookups.ts over recorded answers. */
import { strict as assert } from 'node:assert';
import { lookupIdentityLocation, lookupProject, lookupResourceGroup, lookupRoleDefinition, lookupSubscription } from '../../../src/resources/lookups';
import { clientsAnswering, object, recording } from '../recorded';

describe('recorded lookups (tests/fixtures/recordings/)', () => {
  it('ado-core-project-get', async () => {
    const recorded = recording('ado-core-project-get');
    const body = object(recorded.body);
    assert.deepEqual(await lookupProject(clientsAnswering(recorded), String(body.name)), { id: body.id, name: body.name });
  });

  it('arm-authorization-roledefinitions-list-filter', async () => {
    const recorded = recording('arm-authorization-roledefinitions-list-filter');
    // Asked for 'reader', answered 'Reader': matched without case.
    const found = await lookupRoleDefinition(clientsAnswering(recorded), '/subscriptions/sub', 'reader');
    assert.equal(found.name, 'Reader');
    assert.match(found.id, /roleDefinitions\/acdd72a7-3385-48ef-bd42-f606fba81ae7$/i);
  });

  it('arm-provider-get', async () => {
    // Recorded for Microsoft.Management, which lists no userAssignedIdentities: the region is not refused.
    // Nor can it be checked: the log then says "Not checked" (issue 15).
    const region = await lookupIdentityLocation(clientsAnswering(recording('arm-provider-get')), 'sub', 'westeurope');
    assert.equal(region.location, 'westeurope');
    assert.equal(region.checked, false);
  });

  it('arm-resourcegroup-get', async () => {
    const found = await lookupResourceGroup(
      clientsAnswering(recording('arm-resourcegroup-get')),
      'resourceGroup',
      'sub',
      'cli_test_federated_identity_credential_000001',
    );
    assert.equal(found.location, 'eastus2euap');
  });

  it('arm-subscription-get', async () => {
    // Recorded as the list; the task's GET /subscriptions/{id} answers one element of it.
    const recorded = recording('arm-subscription-get');
    const element = (object(recorded.body).value as unknown[])[0];
    const found = await lookupSubscription(clientsAnswering(recorded, element), '2b0942f3-9bca-484b-a508-abdae2db5e64');
    assert.equal(found.name, 'sans-hhc');
  });
});
