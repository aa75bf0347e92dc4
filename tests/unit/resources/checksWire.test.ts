/** The checks' wire model: src/resources/checksWire.ts's converters, against the literal values Azure DevOps expects. */
import { strict as assert } from 'node:assert';
import { approvalToWire, branchControlToWire, fromWire } from '../../../src/resources/checksWire';

const ALICE = { id: 'a1', displayName: 'Alice', isGroup: false, line: 'alice@contoso.com' };

describe('checks wire', () => {
  const approvalWire = approvalToWire('conn', {
    approvers: [ALICE],
    instructions: 'Look',
    minRequiredApprovers: 0,
    timeoutMinutes: 43200,
    requesterCannotBeApprover: true,
  });
  const branchWire = branchControlToWire('conn', { allowedBranches: ['refs/heads/main', 'refs/heads/release/*'], requireBranchProtection: true });

  it('writes the approval and branch control checks as terraform-provider-azuredevops does', () => {
    assert.deepEqual(approvalWire.type, { id: '8c6f20a7-a545-4486-9777-f762fafe0d4d', name: 'Approval' });
    assert.deepEqual(approvalWire.resource, { type: 'endpoint', id: 'conn' });
    assert.equal(approvalWire.timeout, 43200);
    assert.deepEqual((approvalWire.settings as Record<string, unknown>).approvers, [{ id: 'a1', displayName: 'Alice' }]);
    assert.equal((approvalWire.settings as Record<string, unknown>).requesterCannotBeApprover, true, 'whoever queued the run may not approve it');
    assert.deepEqual(branchWire.type, { id: 'fe1de3ee-a436-41b4-bb20-f6eb4cb879a7', name: 'Task Check' });
    assert.deepEqual((branchWire.settings as Record<string, unknown>).definitionRef, {
      id: '86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b',
      name: 'evaluatebranchProtection',
      version: '0.0.1',
    });
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
    assert.equal(read.approval?.requesterCannotBeApprover, true);
    assert.equal(
      fromWire({ value: [{ ...approvalWire, id: 1, settings: { approvers: [] } }] }).approval?.requesterCannotBeApprover,
      undefined,
      'not said: undefined',
    );
    assert.deepEqual(read.branchControl?.allowedBranches, ['refs/heads/main', 'refs/heads/release/*']);
    assert.equal(read.branchControl?.requireBranchProtection, true);
    assert.deepEqual(fromWire({ value: [other] }), {});
  });
});
