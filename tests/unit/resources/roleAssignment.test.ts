/** The role assignment: src/resources/roleAssignment.ts's converter, and the SDK's answer to its write. */
import { strict as assert } from 'node:assert';
import * as roleAssignment from '../../../src/resources/roleAssignment';
import { authorizationAnswering, object, recording } from '../recorded';

describe('role assignment converter', () => {
  it('sets principalType so ARM does not look up a principal that is still replicating', () => {
    assert.deepEqual(roleAssignment.toWire({ scope: '/s', principalId: 'p', roleDefinitionId: 'r', roleName: 'Reader' }), {
      roleDefinitionId: 'r',
      principalId: 'p',
      principalType: 'ServicePrincipal',
    });
  });
});

describe('recorded role assignments (tests/fixtures/recordings/)', () => {
  it('arm-authorization-roleassignment-put-create', async () => {
    const recorded = recording('arm-authorization-roleassignment-put-create');
    const created = await authorizationAnswering(recorded).roleAssignments.create('subscriptions/sub', 'name', { roleDefinitionId: 'r', principalId: 'p' });
    assert.equal(created.id, object(recorded.body).id);
    assert.ok(created.principalId);
  });
});
