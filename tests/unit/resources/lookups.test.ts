/** The lookups that validate an input against the world: src/resources/lookups.ts over recorded answers. */
import { strict as assert } from 'node:assert';
import type { Clients } from '../../../src/clients';
import { InputError } from '../../../src/errors';
import {
  assignableAt,
  lookupIdentityLocation,
  lookupProject,
  lookupResourceGroup,
  lookupRoleDefinition,
  lookupSubscription,
} from '../../../src/resources/lookups';
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

const SUBSCRIPTION = '/subscriptions/11111111-2222-3333-4444-555555555555';

/** Clients whose ARM role definitions answer `definition` to a get by GUID and to a list by name. */
function clientsWith(definition: { id: string; roleName: string; assignableScopes: string[] }): Clients {
  const authorization = {
    roleDefinitions: {
      get: () => Promise.resolve(definition),
      list: async function* () {
        yield definition;
      },
    },
  };
  return { clock: { now: () => 0, sleep: () => Promise.resolve() }, azure: () => Promise.resolve({ authorization }) } as unknown as Clients;
}

describe('the role lookup and its assignable scopes', () => {
  it("reads a role's assignableScopes as ARM applies them: the scope and below, '/' everywhere, a management group left to ARM", () => {
    assert.ok(assignableAt(['/'], `${SUBSCRIPTION}/resourceGroups/rg-a`));
    assert.ok(assignableAt([SUBSCRIPTION], `${SUBSCRIPTION}/resourceGroups/rg-a`));
    assert.ok(assignableAt([`${SUBSCRIPTION}/resourceGroups/RG-A`], `${SUBSCRIPTION}/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv`));
    assert.ok(!assignableAt([`${SUBSCRIPTION}/resourceGroups/rg-a`], `${SUBSCRIPTION}/resourceGroups/rg-ab`), 'a name that only starts the same');
    assert.ok(!assignableAt([`${SUBSCRIPTION}/resourceGroups/rg-a`], SUBSCRIPTION), 'not above its scopes');
    assert.ok(assignableAt(['/providers/Microsoft.Management/managementGroups/mg'], SUBSCRIPTION), 'the hierarchy is not read: ARM decides');
    assert.ok(assignableAt(undefined, SUBSCRIPTION));
  });

  it('refuses, before any write, a custom role whose assignableScopes leave out the scope, naming the input and line (issue 24, custom role at a scope it cannot be assigned)', async () => {
    const definition = {
      id: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/7c2d1e5a-0000-4000-8000-000000000001`,
      roleName: 'App Deployer',
      assignableScopes: [`${SUBSCRIPTION}/resourceGroups/rg-a`],
    };
    const scope = `${SUBSCRIPTION}/resourceGroups/rg-b`;
    for (const [role, source] of [
      ['7c2d1e5a-0000-4000-8000-000000000001', { input: 'roleDefinitionName' }],
      ['App Deployer', { input: 'roleAssignments', line: 3 }],
    ] as const) {
      await assert.rejects(lookupRoleDefinition(clientsWith(definition), scope, role, source), (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.equal(error.input, source.input);
        assert.match(
          error.describe(),
          new RegExp(
            `^Input '${source.input}' ${'line' in source ? 'line 3 ' : ''}names the role 'App Deployer', which can be assigned only at .*/resourceGroups/rg-a \\(its assignableScopes\\), not at .*/resourceGroups/rg-b; add that scope`,
          ),
        );
        return true;
      });
    }
    assert.equal((await lookupRoleDefinition(clientsWith(definition), `${SUBSCRIPTION}/resourceGroups/rg-a`, 'App Deployer')).name, 'App Deployer');
  });
});
