import { strict as assert } from 'node:assert';
import { PermissionError } from '../../src/errors';
import { allows, armRequirement, assertPermitted, permissionsPageFromWire } from '../../src/preflight';
import { object, recording } from './recorded';

/** Built-in roles' actions and notActions, as Microsoft publishes them. */
const CONTRIBUTOR = {
  actions: ['*'],
  notActions: ['Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write', 'Microsoft.Authorization/elevateAccess/Action'],
};
const RBAC_ADMINISTRATOR = {
  actions: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read', 'Microsoft.Support/*'],
  notActions: [],
};
const USER_ACCESS_ADMINISTRATOR = { actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'], notActions: [] };
const MANAGED_IDENTITY_CONTRIBUTOR = {
  actions: [
    'Microsoft.ManagedIdentity/userAssignedIdentities/write',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
    'Microsoft.Authorization/*/read',
  ],
  notActions: [],
};
const READER = { actions: ['*/read'], notActions: [] };

describe('allows (Azure RBAC action matching)', () => {
  it('grants through a wildcard, case-insensitively', () => {
    assert.ok(allows([CONTRIBUTOR], 'Microsoft.ManagedIdentity/userAssignedIdentities/write'));
    assert.ok(allows([USER_ACCESS_ADMINISTRATOR], 'microsoft.authorization/roleassignments/WRITE'));
    assert.ok(allows([READER], 'Microsoft.Resources/subscriptions/resourceGroups/read'));
  });

  it('lets notActions of the same role take away what its actions grant', () => {
    assert.ok(!allows([CONTRIBUTOR], 'Microsoft.Authorization/roleAssignments/write'), 'Contributor may not assign roles');
    assert.ok(!allows([READER], 'Microsoft.ManagedIdentity/userAssignedIdentities/write'));
  });

  it("does not let one role's notActions take away another role's grant", () => {
    assert.ok(allows([CONTRIBUTOR, RBAC_ADMINISTRATOR], 'Microsoft.Authorization/roleAssignments/write'));
    assert.ok(allows([MANAGED_IDENTITY_CONTRIBUTOR], 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write'));
  });

  it('matches a wildcard in the middle, and never treats other characters as patterns', () => {
    assert.ok(
      allows(
        [{ actions: ['Microsoft.ManagedIdentity/*/write'], notActions: [] }],
        'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
      ),
    );
    assert.ok(
      !allows(
        [{ actions: ['Microsoft.ManagedIdentity.userAssignedIdentities/write'], notActions: [] }],
        'Microsoft.ManagedIdentity/userAssignedIdentities/write',
      ),
    );
  });

  it('grants nothing with no role at all', () => assert.ok(!allows([], 'Microsoft.ManagedIdentity/userAssignedIdentities/write')));
});

describe('assertPermitted', () => {
  const scope = '/subscriptions/s/resourceGroups/rg-app1-dev';

  it('passes when every permission is granted or unknown (a preflight read that failed never blocks)', () => {
    assertPermitted(
      [
        armRequirement([RBAC_ADMINISTRATOR], 'Microsoft.Authorization/roleAssignments/write', scope, 'fix'),
        armRequirement(undefined, 'Microsoft.ManagedIdentity/userAssignedIdentities/write', scope, 'fix'),
      ],
      'before any write',
    );
  });

  it('fails in one line naming every missing permission with its fix', () => {
    assert.throws(
      () =>
        assertPermitted(
          [
            armRequirement([READER], 'Microsoft.ManagedIdentity/userAssignedIdentities/write', scope, 'assign it Managed Identity Contributor'),
            armRequirement([READER], 'Microsoft.Authorization/roleAssignments/write', scope, 'assign it Role Based Access Control Administrator'),
            { allowed: false, unmet: "the pipeline's build service identity lacks the Creator role" },
          ],
          'before any write',
        ),
      (error: unknown) => {
        assert.ok(error instanceof PermissionError);
        assert.equal(
          error.describe(),
          "Permission check failed before any write: the bootstrap connection's identity lacks Microsoft.ManagedIdentity/userAssignedIdentities/write at /subscriptions/s/resourceGroups/rg-app1-dev (assign it Managed Identity Contributor); the bootstrap connection's identity lacks Microsoft.Authorization/roleAssignments/write at /subscriptions/s/resourceGroups/rg-app1-dev (assign it Role Based Access Control Administrator); the pipeline's build service identity lacks the Creator role. Nothing was written; grant the permissions and re-run the task",
        );
        return true;
      },
    );
  });
});

describe('recorded permissions (tests/fixtures/recordings/)', () => {
  it('ado-permissions-has-permissions', () => {
    // Read by preflight.ts as `value[0]` of the tokens= form; the bare boolean of token= is not used.
    const body = object(recording('ado-permissions-has-permissions').body);
    assert.deepEqual(body.value, [false, false, true]);
  });

  it('arm-authorization-permissions-list', () => {
    const page = permissionsPageFromWire(object(recording('arm-authorization-permissions-list').body));
    assert.deepEqual(page, {
      permissions: [
        { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete'] },
        { actions: ['*/read'], notActions: [] },
      ],
      nextLink: undefined,
    });
    assert.equal(permissionsPageFromWire({ value: [], nextLink: 'https://management.azure.com/next' })?.nextLink, 'https://management.azure.com/next');
  });
});
