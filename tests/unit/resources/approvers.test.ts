/** The identity matching of src/resources/approvers.ts. */
import { strict as assert } from 'node:assert';
import { matchIdentity } from '../../../src/resources/approvers';

describe('identities', () => {
  const answer = (value: unknown[]) => ({ count: value.length, value });
  const alice = { id: 'a1', providerDisplayName: 'Alice', isContainer: false, properties: { Account: { $value: 'alice@contoso.com' } } };
  const alicia = { id: 'a2', providerDisplayName: 'Alicia', isContainer: false, properties: { Account: { $value: 'alicia@contoso.com' } } };
  const group = { id: 'g1', providerDisplayName: '[p]\\Approvers', isContainer: true, properties: {} };

  it('takes the identity whose account, mail or display name is the line', () => {
    assert.deepEqual(matchIdentity('ALICE@contoso.com', answer([alicia, alice])), {
      id: 'a1',
      displayName: 'Alice',
      isGroup: false,
      line: 'ALICE@contoso.com',
    });
    assert.deepEqual(matchIdentity('[p]\\Approvers', answer([group])), { id: 'g1', displayName: '[p]\\Approvers', isGroup: true, line: '[p]\\Approvers' });
  });

  it('takes a single answer the service matched on a name it does not show; refuses none and several', () => {
    assert.equal((matchIdentity('alias@contoso.com', answer([alice])) as { id: string }).id, 'a1');
    assert.equal(matchIdentity('nobody', answer([])), 'none');
    assert.deepEqual(matchIdentity('al', answer([alice, alicia])), { ambiguous: ['Alice', 'Alicia'] });
  });
});
