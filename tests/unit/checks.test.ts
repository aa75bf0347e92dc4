/**
 * Approvals and checks: the pure converters and decisions of src/resources/checks.ts and the identity
 * matching of src/resources/approvers.ts.
 */
import { strict as assert } from 'node:assert';
import {
  APPROVAL_TYPE,
  approvalToWire,
  BRANCH_CONTROL_DEFINITION,
  branchControlToWire,
  decideApproval,
  decideBranchControl,
  fromWire,
  sameBranches,
  TASK_CHECK_TYPE,
  withApprovers,
} from '../../src/resources/checks';
import { matchIdentity } from '../../src/resources/approvers';

const ALICE = { id: 'a1', displayName: 'Alice', isGroup: false, line: 'alice@contoso.com' };
const GROUP = { id: 'g1', displayName: '[p]\\Approvers', isGroup: true, line: '[p]\\Approvers' };

describe('checks', () => {
  const approvalWire = approvalToWire('conn', { approvers: [ALICE], instructions: 'Look', minRequiredApprovers: 0, timeoutMinutes: 43200 });
  const branchWire = branchControlToWire('conn', { allowedBranches: ['refs/heads/main', 'refs/heads/release/*'], requireBranchProtection: true });

  it('writes the approval and branch control checks as terraform-provider-azuredevops does', () => {
    assert.deepEqual(approvalWire.type, APPROVAL_TYPE);
    assert.deepEqual(approvalWire.resource, { type: 'endpoint', id: 'conn' });
    assert.equal(approvalWire.timeout, 43200);
    assert.deepEqual((approvalWire.settings as Record<string, unknown>).approvers, [{ id: 'a1', displayName: 'Alice' }]);
    assert.deepEqual(branchWire.type, TASK_CHECK_TYPE);
    assert.deepEqual((branchWire.settings as Record<string, unknown>).definitionRef, BRANCH_CONTROL_DEFINITION);
    assert.deepEqual((branchWire.settings as Record<string, unknown>).inputs, {
      allowedBranches: 'refs/heads/main,refs/heads/release/*',
      ensureProtectionOfBranch: 'true',
      allowUnknownStatusBranch: 'false',
    });
  });

  it('reads back what it wrote, ignoring checks of other kinds', () => {
    const other = { id: 3, type: { id: '2ef31ad6-baa0-403a-8b45-2cbc9b4e5563' }, settings: {} };
    const read = fromWire({ value: [other, { ...approvalWire, id: 1 }, { ...branchWire, id: 2 }] });
    assert.deepEqual(read.approval?.approverIds, ['a1']);
    assert.equal(read.approval?.timeoutMinutes, 43200);
    assert.deepEqual(read.branchControl?.allowedBranches, ['refs/heads/main', 'refs/heads/release/*']);
    assert.equal(read.branchControl?.requireBranchProtection, true);
    assert.deepEqual(fromWire({ value: [other] }), {});
  });

  it('adds only missing approvers, keeps the rest of the check, and warns about other settings', () => {
    const existing = fromWire({ value: [{ ...approvalWire, id: 1 }] }).approval!;
    const same = decideApproval({ approvers: [ALICE], instructions: 'Look', minRequiredApprovers: 0, timeoutMinutes: 43200 }, existing);
    assert.deepEqual(same, { add: [], warnings: [] });
    const more = decideApproval({ approvers: [ALICE, GROUP], instructions: 'Other', minRequiredApprovers: 1, timeoutMinutes: 60 }, existing);
    assert.deepEqual(more.add, [GROUP]);
    assert.match(more.warnings[0], /keeps its instructions, minimum approvers 0 \(asked: 1\), timeout 43200 minutes \(asked: 60\)/);
    const body = withApprovers(existing, more.add);
    assert.deepEqual((body.settings as Record<string, unknown>).approvers, [
      { id: 'a1', displayName: 'Alice' },
      { id: 'g1', displayName: '[p]\\Approvers' },
    ]);
    assert.equal(body.timeout, 43200, 'the timeout stays');
  });

  it('warns naming both branch lists when a branch control check differs, and compares lists as sets', () => {
    const existing = fromWire({ value: [{ ...branchWire, id: 2 }] }).branchControl!;
    assert.deepEqual(decideBranchControl({ allowedBranches: ['refs/heads/release/*', 'REFS/heads/main'], requireBranchProtection: true }, existing), []);
    const [warning] = decideBranchControl({ allowedBranches: ['refs/heads/main'], requireBranchProtection: false }, existing);
    assert.match(warning, /allows 'refs\/heads\/main, refs\/heads\/release\/\*' \(protected branches only\); this run asked for 'refs\/heads\/main'\./);
    assert.ok(sameBranches(['a', 'b'], ['b', 'a', 'a']));
  });
});

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
