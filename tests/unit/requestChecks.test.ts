/** The Approvals and checks inputs (src/requestChecks.ts). */
import { strict as assert } from 'node:assert';
import { InputError } from '../../src/errors';
import type { InputName } from '../../src/inputNames';
import { parseChecks } from '../../src/requestChecks';

const checksOf = (inputs: Partial<Record<InputName, string>>) => parseChecks((name) => (inputs[name] ?? '').trim());

describe('parseChecks', () => {
  it('asks for no check by default, with the approval defaults of the Azure DevOps page', () => {
    assert.deepEqual(checksOf({}), {
      approvers: [],
      approvalInstructions: '',
      approvalTimeoutMinutes: 43200,
      minimumApprovers: 0,
      allowSelfApproval: false,
      allowedBranches: [],
      requireBranchProtection: false,
    });
  });

  it('takes approvers one per line without repeats, and refs separated by commas', () => {
    const checks = checksOf({
      approvers: 'alice@contoso.com\n\n[platform]\\Approvers\nALICE@contoso.com',
      approvalInstructions: 'Look at the plan',
      approvalTimeoutMinutes: '60',
      minimumApprovers: '2',
      allowedBranches: 'refs/heads/main, refs/heads/release/*,',
      requireBranchProtection: 'True',
    });
    assert.deepEqual(checks.approvers, ['alice@contoso.com', '[platform]\\Approvers']);
    assert.equal(checks.approvalTimeoutMinutes, 60);
    assert.equal(checks.minimumApprovers, 2);
    assert.deepEqual(checks.allowedBranches, ['refs/heads/main', 'refs/heads/release/*']);
    assert.equal(checks.requireBranchProtection, true);
  });

  it('takes any minimumApprovers without approvers: the minimum is ignored with a warning (checks.ts), not refused (issue 23)', () => {
    assert.equal(checksOf({ minimumApprovers: '2' }).minimumApprovers, 2);
    assert.equal(checksOf({ allowSelfApproval: 'true' }).allowSelfApproval, true);
  });

  it('writes short branch names as the full refs a run is matched by, keeping wildcards, full refs and * (issue 24, class 11), one a line or separated by commas (issue 23)', () => {
    assert.deepEqual(checksOf({ allowedBranches: 'main\nrelease/*, refs/tags/*\n\nrefs/heads/dev, /hotfix/*\n*' }).allowedBranches, [
      'refs/heads/main',
      'refs/heads/release/*',
      'refs/tags/*',
      'refs/heads/dev',
      'refs/heads/hotfix/*',
      '*',
    ]);
  });

  it('refuses, naming the input and what it accepts', () => {
    const refuses = (inputs: Partial<Record<InputName, string>>, input: string, message: RegExp) =>
      assert.throws(
        () => checksOf(inputs),
        (error: unknown) => error instanceof InputError && error.input === input && message.test(error.message),
      );
    refuses({ approvalTimeoutMinutes: '0' }, 'approvalTimeoutMinutes', /whole number from 1 to 43200 \(minutes, default 43200\)/);
    refuses({ approvalTimeoutMinutes: '1.5' }, 'approvalTimeoutMinutes', /'1\.5'/);
    refuses({ approvers: 'alice@contoso.com', minimumApprovers: '2' }, 'minimumApprovers', /from 0 to 1 \(0 for every approver/);
    refuses({ minimumApprovers: '1.5' }, 'minimumApprovers', /'1\.5'; use a whole number/);
    refuses({ allowedBranches: 'refs/heads/main refs/heads/dev' }, 'allowedBranches', /which is not a ref; write one ref a line/);
    refuses({ allowSelfApproval: 'yes' }, 'allowSelfApproval', /Supported values are: true, false/);
    refuses({ approvers: 'a\u0007b' }, 'approvers', /not a name or id/);
    refuses({ requireBranchProtection: 'yes' }, 'requireBranchProtection', /Supported values are: true, false/);
  });
});
