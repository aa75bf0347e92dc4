/** Approvals and checks: the decisions of src/resources/checks.ts, and its entries of the change set. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import * as checks from '../../../src/resources/checks';
import { decideApproval, decideBranchControl } from '../../../src/resources/checks';
import { approvalToWire, branchControlToWire, fromWire, sameBranches, withApprovers } from '../../../src/resources/checksWire';
import { observed } from '../../support/observed';
import { rawTask } from '../fixtures';

const ALICE = { id: 'a1', displayName: 'Alice', isGroup: false, line: 'alice@contoso.com' };
const GROUP = { id: 'g1', displayName: '[p]\\Approvers', isGroup: true, line: '[p]\\Approvers' };

describe('checks', () => {
  /** The settings of the approval check on the connection, as a new check is written. */
  const asWritten = { approvers: [ALICE], instructions: 'Look', minRequiredApprovers: 0, timeoutMinutes: 43200, requesterCannotBeApprover: true };
  const approvalWire = approvalToWire('conn', asWritten);
  const branchWire = branchControlToWire('conn', { allowedBranches: ['refs/heads/main', 'refs/heads/release/*'], requireBranchProtection: true });

  it('adds only missing approvers, keeps the rest of the check, and warns about other settings', () => {
    const existing = fromWire({ value: [{ ...approvalWire, id: 1 }] }).approval!;
    const same = decideApproval(asWritten, existing);
    assert.deepEqual(same, { add: [], warnings: [] });
    const more = decideApproval(
      { approvers: [ALICE, GROUP], instructions: 'Other', minRequiredApprovers: 1, timeoutMinutes: 60, requesterCannotBeApprover: true },
      existing,
    );
    assert.deepEqual(more.add, [GROUP]);
    assert.match(more.warnings[0], /keeps its instructions, minimum approvers 0 \(asked: 1\), timeout 43200 minutes \(asked: 60\)/);
    const selfApproved = decideApproval({ ...asWritten, requesterCannotBeApprover: false }, existing);
    assert.match(selfApproved.warnings[0], /keeps its setting that the requester may not approve \(asked: the requester may approve\)/);
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

  describe('entries of the change set', () => {
    const req = parseRequest(rawTask({ approvers: 'alice@contoso.com', allowedBranches: 'refs/heads/main' }));
    const connection = { id: 'connection-id', name: 'app1-dev' };

    it('creates both checks on a new connection, asking for no role on a connection that does not exist yet', () => {
      const entries = checks.decide(req, observed(req, { approvers: [ALICE] }));
      assert.deepEqual(
        entries.map((entry) => [entry.kind, entry.action, entry.needs.length]),
        [
          ['approval', 'create', 0],
          ['branchControl', 'create', 0],
        ],
      );
      assert.match(entries[0].what, /^the approval check with approvers 'Alice' \(all must approve, timeout 43200 minutes\) on the connection$/);
      assert.equal(entries[1].what, "the branch control check on the connection allowing 'refs/heads/main'");
    });

    it('adds missing approvers to an existing approval check, keeps a branch control check, and warns for what differs', () => {
      const existing = fromWire({
        value: [
          { ...approvalWire, id: 1 },
          { ...branchWire, id: 2 },
        ],
      });
      const found = observed(req, { approvers: [ALICE, GROUP], connection, checks: existing, devopsAccess: { administer: false } });
      const [approval, branchControl] = checks.decide(req, found);
      assert.equal(approval.action, 'update');
      assert.equal(approval.what, "the approval check on the connection: approvers '[p]\\Approvers' added");
      assert.equal(approval.needs[0].allowed, false);
      assert.equal(branchControl.action, 'keep');
      assert.equal(checks.warnings(req, found).length, 2);
    });

    it('warns, before any write and in the dry run alike, that requireBranchProtection without allowedBranches adds no check (issue 24, class 11)', () => {
      const protectedOnly = parseRequest(rawTask({ requireBranchProtection: 'true' }));
      const found = observed(protectedOnly, {});
      assert.deepEqual(checks.decide(protectedOnly, found), [], 'no check to make');
      const [warning, ...more] = checks.warnings(protectedOnly, found);
      assert.equal(more.length, 0);
      assert.match(warning, /^Input 'requireBranchProtection' is true, but allowedBranches is empty: .*no check was added .*Set allowedBranches/);
      assert.deepEqual(checks.warnings(parseRequest(rawTask({ requireBranchProtection: 'true', allowedBranches: 'main' })), found), []);
    });

    it('ignores approval settings without approvers with a warning, so one step serves dev without approvers and prod with them (issue 23)', () => {
      const shared = parseRequest(rawTask({ minimumApprovers: '1', approvalInstructions: 'Look', allowSelfApproval: 'true' }));
      const found = observed(shared, {});
      assert.deepEqual(checks.decide(shared, found), [], 'no approval check');
      assert.deepEqual(checks.warnings(shared, found), [
        "Inputs 'approvalInstructions', 'minimumApprovers', 'allowSelfApproval' are set, but approvers is empty: they are settings of the approval check, which is made only for the approvers given, so they were ignored. Set approvers, or leave them at their defaults.",
      ]);
      assert.deepEqual(checks.warnings(parseRequest(rawTask({})), found), [], 'defaults say nothing');
    });

    it('writes on a new approval check that the requester may not approve, unless allowSelfApproval (issue 23)', () => {
      const [entry] = checks.decide(req, observed(req, { approvers: [ALICE] }));
      assert.equal(entry.kind === 'approval' && entry.desired.requesterCannotBeApprover, true);
      const selfApproval = parseRequest(rawTask({ approvers: 'alice@contoso.com', allowSelfApproval: 'true' }));
      const [allowed] = checks.decide(selfApproval, observed(selfApproval, { approvers: [ALICE] }));
      assert.equal(allowed.kind === 'approval' && allowed.desired.requesterCannotBeApprover, false);
      assert.match(allowed.what, /\(all must approve, the requester may approve, timeout 43200 minutes\)/);
    });
  });
});
