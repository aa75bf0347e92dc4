import { strict as assert } from 'node:assert';
import { InputError } from '../../src/errors';
import { distinctGrants, parseRoleAssignments } from '../../src/grants';

const SUB = '11111111-2222-3333-4444-555555555555';

function refuses(text: string, mentions: RegExp): void {
  assert.throws(
    () => parseRoleAssignments(text, SUB),
    (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.input, 'roleAssignments');
      assert.match(error.describe(), mentions);
      return true;
    },
  );
}

describe('parseRoleAssignments', () => {
  it('reads one role@scope a line, relative scopes against the subscription, skipping blanks and comments', () => {
    const grants = parseRoleAssignments(
      [
        'Reader@resourceGroups/rg-shared',
        '',
        '  # comment',
        'Key Vault Secrets User @ resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app1',
        `Contributor@/subscriptions/${SUB.toUpperCase()}/resourceGroups/rg-app1/`,
        'Platform Deployer@/providers/Microsoft.Management/managementGroups/mg-platform',
      ].join('\r\n'),
      SUB,
    );
    assert.deepEqual(grants, [
      { role: 'Reader', scope: `/subscriptions/${SUB}/resourceGroups/rg-shared`, line: 1 },
      { role: 'Key Vault Secrets User', scope: `/subscriptions/${SUB}/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app1`, line: 4 },
      { role: 'Contributor', scope: `/subscriptions/${SUB}/resourceGroups/rg-app1`, line: 5 },
      { role: 'Platform Deployer', scope: '/providers/Microsoft.Management/managementGroups/mg-platform', line: 6 },
    ]);
  });

  it('takes the last @ as the separator and accepts the whole subscription', () => {
    assert.deepEqual(parseRoleAssignments(`Reader@/subscriptions/${SUB}`, SUB), [{ role: 'Reader', scope: `/subscriptions/${SUB}`, line: 1 }]);
  });

  it('is empty for an empty input', () => {
    assert.deepEqual(parseRoleAssignments('', SUB), []);
    assert.deepEqual(parseRoleAssignments('\n  \n', SUB), []);
  });

  it('refuses a malformed line, naming its number and text', () => {
    refuses('Reader@resourceGroups/rg\nReader', /line 2 \('Reader'\) has no '@'/);
    refuses('@resourceGroups/rg', /line 1 .* names no role/);
    refuses('Reader@ ', /line 1 .* names no scope/);
    refuses('Reader@rg-shared', /scope 'rg-shared', which is neither/);
    refuses('Reader@/subscriptions/not-a-guid', /which is neither/);
    refuses('Reader@resourceGroups/rg/providers/Microsoft.KeyVault', /which is neither/);
    refuses('Reader@/providers/Microsoft.Management/managementGroups/', /which is neither/);
  });
});

describe('distinctGrants', () => {
  it('drops repeats of the main grant and of earlier lines, comparing case-insensitively', () => {
    const main = { role: 'Contributor', scope: `/subscriptions/${SUB}/resourceGroups/rg-app1` };
    const grants = [
      { role: 'contributor', scope: `/subscriptions/${SUB}/resourcegroups/RG-APP1`, line: 1 },
      { role: 'Reader', scope: `/subscriptions/${SUB}`, line: 2 },
      { role: 'READER', scope: `/subscriptions/${SUB}`, line: 3 },
    ];
    assert.deepEqual(distinctGrants(grants, main), [grants[1]]);
  });
});
