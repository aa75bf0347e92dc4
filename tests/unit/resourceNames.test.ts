import { strict as assert } from 'node:assert';
import {
  applicationUniqueName,
  defaultApplicationName,
  defaultIdentityName,
  earlierDefaultIdentityName,
  federatedCredentialName,
  roleAssignmentName,
  uuidV5,
} from '../../src/resourceNames';

describe('naming', () => {
  it('computes RFC 4122 name-based UUIDs (the DNS namespace example)', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    assert.equal(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('names a role assignment the same way for the same grant, whatever the casing', () => {
    const a = roleAssignmentName('/subscriptions/S/resourceGroups/RG', 'P', '/subscriptions/S/providers/R/roleDefinitions/X');
    const b = roleAssignmentName('/subscriptions/s/resourcegroups/rg', 'p', '/subscriptions/s/providers/r/roleDefinitions/x');
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives different grants different names', () => {
    assert.notEqual(roleAssignmentName('/s/a', 'p', 'r'), roleAssignmentName('/s/b', 'p', 'r'));
    assert.notEqual(roleAssignmentName('/s/a', 'p', 'r'), roleAssignmentName('/s/a', 'q', 'r'));
  });

  it('derives a managed identity name ARM accepts from any connection name', () => {
    assert.equal(defaultIdentityName('app1-dev'), 'id-app1-dev');
    assert.match(defaultIdentityName('App 1 (dev) / west'), /^id-App-1-dev-west-[0-9a-f]{8}$/);
    assert.match(defaultIdentityName('***'), /^id-connection-[0-9a-f]{8}$/);
    assert.equal(earlierDefaultIdentityName('App 1 (dev) / west'), 'id-App-1-dev-west');
    // Distinct for distinct connection names, the same for one name in any casing (connection names are case-insensitive).
    assert.notEqual(defaultIdentityName('app 1'), defaultIdentityName('app-1'));
    assert.notEqual(defaultIdentityName('本番'), defaultIdentityName('開発'));
    assert.equal(defaultIdentityName('App 1'), defaultIdentityName('app 1').replace('app', 'App'));
    const long = defaultIdentityName('x'.repeat(300));
    assert.equal(long.length, 128);
    for (const name of ['app1-dev', 'App 1 (dev)', 'ÄÖÜ', 'a'.repeat(500)]) {
      assert.match(defaultIdentityName(name), /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/);
    }
  });

  it("names the federated credential after the connection id, within ARM's credential name rule", () => {
    const name = federatedCredentialName('3F2504E0-4F89-11D3-9A0C-0305E82C3301');
    assert.equal(name, 'azure-devops-3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    assert.match(name, /^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$/);
  });

  it('keys the application on the organization, project id and connection name, whatever the casing', () => {
    const name = applicationUniqueName('contoso', '6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c', 'app1-dev');
    assert.equal(name, applicationUniqueName('Contoso', '6CE954B1-CE1F-45D1-B94D-E6BF2464BA2C', 'APP1-DEV'));
    assert.match(name, /^wic-[0-9a-f]{44}$/, 'lower-case letters, digits and hyphens only: nothing to escape in an OData key');
    assert.notEqual(name, applicationUniqueName('contoso', '6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c', 'app1-prod'));
    assert.notEqual(name, applicationUniqueName('contoso', '00000000-ce1f-45d1-b94d-e6bf2464ba2c', 'app1-dev'));
    assert.notEqual(name, applicationUniqueName('fabrikam', '6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c', 'app1-dev'));
  });

  it('names the application after the connection by default', () => {
    assert.equal(defaultApplicationName('app1-dev'), 'azure-devops-app1-dev');
    assert.equal(defaultApplicationName('x'.repeat(300)).length, 256);
  });
});
