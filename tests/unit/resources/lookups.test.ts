/** The lookups that validate a request before any write: src/resources/lookups.ts's role lookup and its scope rule. */
import { strict as assert } from 'node:assert';
import type { Clients } from '../../../src/clients';
import { InputError } from '../../../src/errors';
import { assignableAt, lookupRoleDefinition } from '../../../src/resources/lookups';

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

describe('lookups', () => {
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
