/** read: the pure parts, where the permission preflight reads. */
import { strict as assert } from 'node:assert';
import { armWriteScopes } from '../../src/read';
import { parseRequest } from '../../src/request';
import { rawTask } from './fixtures';

describe("armWriteScopes: where the permission preflight reads the bootstrap identity's permissions", () => {
  const SUBSCRIPTION = '/subscriptions/11111111-2222-3333-4444-555555555555';
  const plain = (inputs: Record<string, string> = {}) => parseRequest(rawTask(inputs));

  it("is the identity's resource group and the role scope for a managed identity, each once", () => {
    assert.deepEqual(armWriteScopes(plain({ resourceGroup: 'rg-app1-dev' })), [
      `${SUBSCRIPTION}/resourceGroups/rg-identities`,
      `${SUBSCRIPTION}/resourceGroups/rg-app1-dev`,
    ]);
    assert.deepEqual(armWriteScopes(plain({ resourceGroup: 'RG-Identities' })), [`${SUBSCRIPTION}/resourceGroups/rg-identities`]);
  });

  it('is the management group, and every roleAssignments scope, and no identity resource group for an app registration', () => {
    const scopes = armWriteScopes(
      plain({
        identityType: 'appRegistration',
        identityResourceGroup: '',
        managementGroupId: 'mg-platform',
        roleAssignments: 'Reader@resourceGroups/rg-shared\nReader@resourceGroups/rg-shared',
      }),
    );
    assert.deepEqual(scopes, ['/providers/Microsoft.Management/managementGroups/mg-platform', `${SUBSCRIPTION}/resourceGroups/rg-shared`]);
  });
});
