/** The change set's vocabulary: src/change.ts. */
import { strict as assert } from 'node:assert';
import { planned } from '../../src/change';

describe('planned', () => {
  it('is the past of the action a write carries out', () => {
    assert.equal(planned({ action: 'create', what: 'x', needs: [] }), 'created');
    assert.equal(planned({ action: 'update', what: 'x', needs: [] }), 'updated');
    assert.equal(planned({ action: 'keep', what: 'x', needs: [] }), 'kept');
  });
});
