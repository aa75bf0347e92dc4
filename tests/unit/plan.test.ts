import { strict as assert } from 'node:assert';
import { levels, planFor } from '../../src/plan';
import { parseRequest } from '../../src/request';

function request(inputs: Record<string, string> = {}) {
  return parseRequest({
    inputs: {
      bootstrapConnection: 'b',
      connectionName: 'app1-dev',
      identityResourceGroup: 'rg-identities',
      organizationUrl: 'https://dev.azure.com/contoso/',
      project: 'platform',
      ...inputs,
    },
    bootstrap: {
      id: 'b',
      scheme: 'ServicePrincipal',
      parameters: { tenantid: 't', serviceprincipalid: 'c', serviceprincipalkey: 'k' },
      data: { subscriptionId: '11111111-2222-3333-4444-555555555555' },
    },
    accessToken: 'token',
  });
}

describe('planFor', () => {
  it('runs every read first, side by side, so a bad request is refused before any write', () => {
    const [reads, ...rest] = levels(planFor(request({ resourceGroup: 'rg-app1-dev' })));
    assert.deepEqual(
      reads.map((s) => s.id),
      ['project', 'subscription', 'roleDefinition', 'identityResourceGroup', 'scopeResourceGroup', 'existingIdentity', 'existingConnection', 'azurePermissions'],
    );
    assert.ok(reads.every((s) => !s.writes));
    const firstWrite = rest.findIndex((level) => level.some((s) => s.writes));
    assert.ok(rest.slice(0, firstWrite).flat().every((s) => !s.writes), 'no write beside a read');
    assert.ok(rest.slice(firstWrite).flat().every((s) => s.writes), 'no read after a write');
  });

  it('checks the pipeline\'s service connection permissions once the project id is known, before any write', () => {
    const plan = planFor(request());
    assert.deepEqual(plan.find((s) => s.id === 'devopsPermissions')?.needs, ['project', 'existingConnection']);
    assert.ok(plan.find((s) => s.id === 'identity')?.needs.includes('devopsPermissions'));
  });

  it('checks a requested region only when one is given', () => {
    assert.ok(!planFor(request()).some((s) => s.id === 'identityLocation'));
    assert.ok(planFor(request({ identityLocation: 'northeurope' })).find((s) => s.id === 'identity')?.needs.includes('identityLocation'));
  });

  it('puts identity → connection → federated credential on the critical path, the role assignment beside the connection', () => {
    const byLevel = levels(planFor(request())).map((level) => level.map((s) => s.id));
    const writes = byLevel.slice(byLevel.findIndex((level) => level.includes('identity')));
    assert.deepEqual(writes, [['identity'], ['roleAssignment', 'connection'], ['federatedCredential']]);
  });

  it('reads the scope resource group only when the role is scoped to one', () => {
    assert.ok(!planFor(request()).some((s) => s.id === 'scopeResourceGroup'));
    assert.ok(planFor(request({ resourceGroup: 'rg-app1-dev' })).some((s) => s.id === 'scopeResourceGroup'));
  });

  it('describes each step with the names and scopes it touches', () => {
    const summaries = planFor(request({ resourceGroup: 'rg-app1-dev', roleDefinitionName: 'Reader' })).map((s) => s.summary);
    assert.ok(summaries.includes("ensure managed identity 'id-app1-dev' in resource group 'rg-identities'"));
    assert.ok(
      summaries.includes(
        "ensure role 'Reader' for the identity at /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-app1-dev",
      ),
    );
  });
});
