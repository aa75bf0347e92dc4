import { strict as assert } from 'node:assert';
import { defaultIdentityName, federatedCredentialName, roleAssignmentName, uuidV5 } from '../../src/naming';

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
    assert.equal(defaultIdentityName('App 1 (dev) / west'), 'id-App-1-dev-west');
    assert.equal(defaultIdentityName('***'), 'id-connection');
    const long = defaultIdentityName('x'.repeat(300));
    assert.equal(long.length, 128);
    for (const name of ['app1-dev', 'App 1 (dev)', 'ÄÖÜ', 'a'.repeat(500)]) {
      assert.match(defaultIdentityName(name), /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/);
    }
  });

  it('names the federated credential after the connection id, within ARM\'s credential name rule', () => {
    const name = federatedCredentialName('3F2504E0-4F89-11D3-9A0C-0305E82C3301');
    assert.equal(name, 'azure-devops-3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    assert.match(name, /^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$/);
  });
});
