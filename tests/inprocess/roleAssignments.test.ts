/**
 * Several roles, end to end: roleAssignments grants one role@scope a line besides roleDefinitionName,
 * at resource groups, the subscription or a management group, custom roles included; each grant is
 * idempotent, and a wrong line is refused, naming the line, before anything is written.
 */
import { strict as assert } from 'node:assert';
import { succeeded } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const MG_SCOPE = '/providers/Microsoft.Management/managementGroups/mg-platform';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const CONTRIBUTOR = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

describe('several roles (roleAssignments), whole runs in process', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  let inputs: Record<string, string>;
  beforeEach(async () => {
    emulator = await Emulator.start({ bootstrapRoles: ['Contributor', `Role Based Access Control Administrator@${MG_SCOPE}`] });
    inputs = {
      bootstrapConnection: 'platform-bootstrap',
      connectionName: 'app1-dev',
      identityResourceGroup: 'rg-identities',
      resourceGroup: 'rg-app1-dev',
      roleDefinitionName: 'Contributor',
      roleAssignments: [
        'Reader@resourceGroups/rg-identities',
        "# the platform team's own role, defined at the management group",
        `Platform Deployer@/subscriptions/${emulator.world.subscriptionId}`,
        '',
        `Reader@${MG_SCOPE}`,
        'contributor@resourceGroups/rg-app1-dev',
      ].join('\n'),
    };
  });
  afterEach(async () => {
    await emulator.stop();
  });

  it('grants every role at its scope besides the main one, custom roles included, and nothing twice', async () => {
    const run = await runInProcess(emulator, inputs);
    succeeded(run);
    const { subscriptionId, customRole } = emulator.world;
    const grants = emulator
      .state()
      .roleAssignments.filter((a) => a.properties.principalId === run.outputs.principalId)
      .map((a) => `${a.properties.roleDefinitionId.split('/').pop()}@${a.properties.scope.toLowerCase()}`)
      .sort();
    assert.deepEqual(
      grants,
      [
        `${CONTRIBUTOR}@/subscriptions/${subscriptionId}/resourcegroups/rg-app1-dev`,
        `${READER}@/subscriptions/${subscriptionId}/resourcegroups/rg-identities`,
        `${customRole.id}@/subscriptions/${subscriptionId}`,
        `${READER}@${MG_SCOPE.toLowerCase()}`,
      ].sort(),
      'the last line repeats the main grant and is dropped',
    );
    assert.match(run.stdout, /Created: role 'Platform Deployer' for the identity at \/subscriptions\//);
  });

  it('writes nothing on a second run', async () => {
    succeeded(await runInProcess(emulator, inputs));
    const writes = emulator.writes().length;
    const before = emulator.state();
    const again = await runInProcess(emulator, inputs);
    succeeded(again);
    assert.equal(emulator.writes().length, writes);
    assert.deepEqual(emulator.state(), before);
    assert.equal((again.stdout.match(/Kept: role /g) ?? []).length, 4, 'each grant was found, not rewritten');
  });

  const refusals: Array<[string, string, RegExp, 'no request' | 'no write']> = [
    ['a line without a scope', 'Reader@', /Input 'roleAssignments' line 1 \('Reader@'\) names no scope/, 'no request'],
    ['a line without @', 'Reader', /Input 'roleAssignments' line 1 \('Reader'\) has no '@'/, 'no request'],
    ['a scope that is no ARM id', 'Reader@rg-shared/x', /line 1 .*has the scope 'rg-shared\/x', which is neither/, 'no request'],
    [
      'a role that does not exist',
      'Reader@resourceGroups/rg-identities\nWizard@resourceGroups/rg-identities',
      /Input 'roleAssignments' line 2 names 'Wizard', which is not a role/,
      'no write',
    ],
    [
      'a resource group that does not exist',
      'Reader@resourceGroups/rg-gone',
      /Input 'roleAssignments' line 1 names the resource group 'rg-gone', which does not exist/,
      'no write',
    ],
  ];
  for (const [what, lines, message, before] of refusals) {
    it(`refuses ${what}, naming the line, before ${before === 'no request' ? 'any request' : 'any write'}`, async () => {
      const run = await runInProcess(emulator, { ...inputs, roleAssignments: lines });
      assert.equal(run.result, 'Failed');
      assert.match(run.message ?? '', message);
      if (before === 'no request') assert.equal(emulator.requests.length, 0);
      assert.deepEqual(emulator.writes(), []);
    });
  }
});
