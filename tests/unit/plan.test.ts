import { strict as assert } from 'node:assert';
import { armWriteScopes, levels, planFor } from '../../src/plan';
import { parseRequest } from '../../src/request';
import { rawTask } from './fixtures';

function request(inputs: Record<string, string> = {}) {
  return parseRequest(rawTask(inputs));
}

describe('planFor', () => {
  it('runs every read first, side by side, so a bad request is refused before any write', () => {
    const [reads, afterProject, ...rest] = levels(planFor(request({ resourceGroup: 'rg-app1-dev' })));
    assert.deepEqual(
      reads.map((s) => s.id),
      ['project', 'subscription', 'scopeResourceGroup', 'roleDefinition', 'identityResourceGroup', 'existingIdentity', 'azurePermissions'],
    );
    assert.deepEqual(
      afterProject.map((s) => s.id),
      ['existingConnection', 'devopsPermissions'],
      'the connection is looked up in the project once the project is known to be wellFormed',
    );
    const firstWrite = rest.findIndex((level) => level.some((s) => s.writes));
    assert.ok([...reads, ...afterProject, ...rest.slice(0, firstWrite).flat()].every((s) => !s.writes), 'no write beside a read');
    assert.ok(rest.slice(firstWrite).flat().every((s) => s.writes), 'no read after a write');
  });

  it('checks the permissions on service connections once the project id is known, beside the connection lookup, before any write', () => {
    const plan = planFor(request());
    assert.deepEqual(plan.find((s) => s.id === 'devopsPermissions')?.needs, ['project']);
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

  it('plans no sharing and no pipeline permissions unless asked', () => {
    const ids = planFor(request()).map((s) => s.id);
    for (const id of ['sharedProjects', 'sharing', 'pipelines', 'pipelinePermissions'] as const) assert.ok(!ids.includes(id), id);
  });

  it('reads the projects to share with and the pipelines to authorize before any write, and writes both beside the federated credential', () => {
    const plan = planFor(request({ shareWithProjects: 'app1', authorizePipelines: '12\napp1-deploy', authorizeAllPipelines: 'true' }));
    const identity = plan.find((s) => s.id === 'identity')!;
    assert.ok(identity.needs.includes('sharedProjects') && identity.needs.includes('pipelines'), 'no write before they are validated');
    const byLevel = levels(plan).map((level) => level.map((s) => s.id));
    assert.deepEqual(byLevel.at(-1), ['federatedCredential', 'pipelinePermissions', 'sharing']);
    assert.deepEqual(plan.find((s) => s.id === 'pipelinePermissions')?.summary,
      "ensure pipeline permissions on the connection: all pipelines of project 'platform' and pipelines 12, 'app1-deploy'");
    assert.deepEqual(plan.find((s) => s.id === 'sharing')?.summary, "ensure the connection is shared with projects 'app1'");
  });

  it('authorizes all pipelines without resolving any when no pipeline is listed', () => {
    const plan = planFor(request({ authorizeAllPipelines: 'true' }));
    assert.deepEqual(plan.find((s) => s.id === 'pipelinePermissions')?.needs, ['connection']);
    assert.ok(!plan.some((s) => s.id === 'pipelines'));
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

describe('planFor an app registration', () => {
  const app = (inputs: Record<string, string> = {}) => planFor(request({ identityType: 'appRegistration', identityResourceGroup: '', ...inputs }));

  it('reads first, the application once the project id is known, and writes nothing before every read', () => {
    const plan = app({ resourceGroup: 'rg-app1-dev' });
    const byLevel = levels(plan).map((level) => level.map((s) => s.id));
    assert.deepEqual(byLevel[0], ['project', 'subscription', 'scopeResourceGroup', 'roleDefinition', 'azurePermissions']);
    assert.deepEqual(byLevel[1], ['existingConnection', 'existingApplication', 'devopsPermissions']);
    assert.ok(
      plan
        .filter((s) => !s.writes)
        .every((s) =>
          ['project', 'subscription', 'roleDefinition', 'scopeResourceGroup', 'existingConnection', 'existingApplication', 'azurePermissions', 'devopsPermissions'].includes(s.id),
        ),
    );
    assert.deepEqual([...(plan.find((s) => s.id === 'application')?.needs ?? [])].sort(), byLevel[0].concat(byLevel[1]).sort());
  });

  it('puts application → connection → federated credential on the critical path, service principal and role beside', () => {
    const byLevel = levels(app()).map((level) => level.map((s) => s.id));
    assert.deepEqual(byLevel.slice(2), [['application'], ['servicePrincipal', 'connection'], ['roleAssignment', 'federatedCredential']]);
  });

  it('touches no managed identity or identity resource group', () => {
    const ids = app().map((s) => s.id);
    for (const id of ['identityResourceGroup', 'existingIdentity', 'identity'] as const) assert.ok(!ids.includes(id));
  });

  it('describes the application by its display name', () => {
    assert.ok(app({ applicationName: 'App 1' }).some((s) => s.summary === "ensure application 'App 1' (single tenant)"));
  });
});

describe('armWriteScopes: where the permission preflight reads the bootstrap identity\'s permissions', () => {
  const SUBSCRIPTION = '/subscriptions/11111111-2222-3333-4444-555555555555';

  it("is the identity's resource group and the role scope for a managed identity, each once", () => {
    assert.deepEqual(armWriteScopes(request({ resourceGroup: 'rg-app1-dev' })), [`${SUBSCRIPTION}/resourceGroups/rg-identities`, `${SUBSCRIPTION}/resourceGroups/rg-app1-dev`]);
    assert.deepEqual(armWriteScopes(request({ resourceGroup: 'RG-Identities' })), [`${SUBSCRIPTION}/resourceGroups/rg-identities`]);
  });

  it('is the management group, and every roleAssignments scope, and no identity resource group for an app registration', () => {
    const scopes = armWriteScopes(
      request({ identityType: 'appRegistration', identityResourceGroup: '', managementGroupId: 'mg-platform', roleAssignments: 'Reader@resourceGroups/rg-shared\nReader@resourceGroups/rg-shared' }),
    );
    assert.deepEqual(scopes, ['/providers/Microsoft.Management/managementGroups/mg-platform', `${SUBSCRIPTION}/resourceGroups/rg-shared`]);
  });
});
