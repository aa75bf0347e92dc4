/**
 * Approvals and checks on the new connection (issue 13): whole runs of the task in process against the
 * emulator's check configurations and identities (tests/support/emulator/devops-checks.ts).
 */
import { strict as assert } from 'node:assert';
import { answerLost, crashAfterApply, refused, throttled } from '../support/emulator/faults';
import { ORGANIZATION_IDENTITIES, CHECK_TYPES } from '../support/emulator/devops-checks';
import { failed } from '../support/scenarios';
import { run } from './runs';
import type { TaskRun } from '../support/taskRun';
import { Emulator } from './harness';

const APP1_PROD = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-prod',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
};
const PROTECTED = {
  ...APP1_PROD,
  approvers: 'alice@contoso.com\n[platform]\\Release Approvers',
  approvalInstructions: 'Check the change ticket.',
  allowedBranches: 'refs/heads/main, refs/heads/release/*',
};
const ALICE = ORGANIZATION_IDENTITIES[0];
const BOB = ORGANIZATION_IDENTITIES[1];
const RELEASE_APPROVERS = ORGANIZATION_IDENTITIES[2];

function ended(outcome: TaskRun, result: 'Succeeded' | 'SucceededWithIssues'): void {
  assert.equal(outcome.result, result, `${outcome.message}\n${outcome.stdout}`);
}

describe('approvals and checks on the connection, whole runs in process', function () {
  this.timeout(120_000);
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  const checksOf = (connectionId: string) => emulator.state().checkConfigurations.filter((c) => c.resource.id === connectionId);
  const approval = (connectionId: string) => checksOf(connectionId).find((c) => c.type.id === CHECK_TYPES.approval);
  const approverIds = (connectionId: string): string[] =>
    ((approval(connectionId)?.settings.approvers as { id: string }[] | undefined) ?? []).map((a) => a.id).sort();

  it('creates the approval and branch control checks with the connection, a later stage waits or fails by branch, and a re-run changes nothing', async () => {
    const first = await run(emulator, PROTECTED);
    ended(first, 'Succeeded');
    const id = first.outputs.serviceConnectionId;
    const checks = checksOf(id);
    assert.equal(checks.length, 2, 'one approval and one branch control check');
    assert.deepEqual(approverIds(id), [ALICE.id, RELEASE_APPROVERS.id].sort(), 'the user and the group, resolved through the identities host');
    assert.equal(approval(id)!.timeout, 43200, "the service's default timeout");
    assert.equal(approval(id)!.settings.minRequiredApprovers, 0, 'every approver');
    assert.equal(approval(id)!.settings.instructions, 'Check the change ticket.');
    const branch = checks.find((c) => c.type.id === CHECK_TYPES.taskCheck)!;
    assert.deepEqual(branch.settings.definitionRef, { id: CHECK_TYPES.branchControlDefinition, name: 'evaluatebranchProtection', version: '0.0.1' });
    assert.deepEqual(branch.settings.inputs, {
      allowedBranches: 'refs/heads/main,refs/heads/release/*',
      ensureProtectionOfBranch: 'false',
      allowUnknownStatusBranch: 'false',
    });
    assert.match(
      first.stdout,
      /Created: the approval check with approvers 'Alice Approver', '\[platform\]\\Release Approvers' \(all must approve, timeout 43200 minutes\) on the connection\./,
    );
    assert.match(first.stdout, /Created: the branch control check on the connection allowing 'refs\/heads\/main, refs\/heads\/release\/\*'\./);
    assert.ok(
      emulator.requests.some((r) => r.service === 'devops' && /^\/_vssps\/contoso\/_apis\/identities\?/i.test(r.path)),
      'identities were read on the host the resource area named',
    );

    // What the checks do to a later run of a stage that uses the connection.
    assert.deepEqual(
      emulator.runStage(id, 'refs/heads/main'),
      { status: 'waitingForApproval', approvers: [ALICE.id, RELEASE_APPROVERS.id], requesterMayApprove: false },
      'whoever queued the run may not approve it (allowSelfApproval false)',
    );
    assert.equal(emulator.runStage(id, 'refs/heads/release/1.2').status, 'waitingForApproval');
    assert.equal(emulator.runStage(id, 'refs/heads/feature/x').status, 'failed');

    const before = emulator.state();
    const writes = emulator.writes().length;
    const again = await run(emulator, PROTECTED);
    ended(again, 'Succeeded');
    assert.equal(emulator.writes().length, writes, 'the re-run wrote nothing');
    assert.deepEqual(emulator.state(), before, 'the world is unchanged');
    assert.match(again.stdout, /Kept: the approval check on the connection with approvers/);
    assert.match(again.stdout, /Kept: the branch control check on the connection allowing 'refs\/heads\/main, refs\/heads\/release\/\*'\./);
  });

  it('adds a new approver to the existing approval check, removing none', async () => {
    const first = await run(emulator, PROTECTED);
    ended(first, 'Succeeded');
    const id = first.outputs.serviceConnectionId;
    const writes = emulator.writes().length;
    const preview = await run(emulator, { ...PROTECTED, approvers: 'bob@contoso.com', dryRun: 'true' });
    assert.match(preview.stdout, /Would update: the approval check on the connection: approvers 'Bob Builder' added\./);
    assert.match(preview.stdout, /Would keep: the branch control check/);
    assert.equal(emulator.writes().length, writes, 'the dry run wrote nothing');
    const second = await run(emulator, { ...PROTECTED, approvers: 'bob@contoso.com' });
    ended(second, 'Succeeded');
    const newWrites = emulator.writes().slice(writes);
    assert.deepEqual(
      newWrites.map((w) => `${w.method} ${w.path.replace(/\?.*$/, '').replace(/^.*\/_apis\//, '')}`),
      [`PATCH pipelines/checks/configurations/${approval(id)!.id}`],
      'one PATCH of the approval check, nothing else',
    );
    assert.deepEqual(approverIds(id), [ALICE.id, BOB.id, RELEASE_APPROVERS.id].sort(), 'Bob added, Alice and the group kept');
    assert.equal(checksOf(id).length, 2, 'no check added or deleted');
    assert.match(second.stdout, /Updated: the approval check on the connection: approvers 'Bob Builder' added\./);
  });

  it('keeps a branch control check with other branches, warning with both lists', async () => {
    const first = await run(emulator, { ...APP1_PROD, allowedBranches: 'refs/heads/develop' });
    ended(first, 'Succeeded');
    const id = first.outputs.serviceConnectionId;
    const before = emulator.state().checkConfigurations;
    const second = await run(emulator, { ...APP1_PROD, allowedBranches: 'refs/heads/main' });
    ended(second, 'SucceededWithIssues');
    assert.deepEqual(emulator.state().checkConfigurations, before, 'the branch control check is as it was');
    assert.match(
      second.stdout,
      /##vso\[task\.issue type=warning;\]The branch control check on the connection allows 'refs\/heads\/develop'; this run asked for 'refs\/heads\/main'\. It is kept as it is/,
    );
    assert.equal(emulator.runStage(id, 'refs/heads/develop').status, 'running', 'still allows develop, with no approval check');
    assert.equal(emulator.requests.filter((r) => r.method === 'DELETE').length, 0, 'nothing was ever deleted');
  });

  it('warns when the existing approval check has other settings, and keeps them', async () => {
    const first = await run(emulator, { ...APP1_PROD, approvers: 'alice@contoso.com', approvalTimeoutMinutes: '60', allowSelfApproval: 'true' });
    ended(first, 'Succeeded');
    const id = first.outputs.serviceConnectionId;
    assert.equal(approval(id)!.settings.requesterCannotBeApprover, false, 'allowSelfApproval: true');
    assert.deepEqual(emulator.runStage(id, 'refs/heads/main'), { status: 'waitingForApproval', approvers: [ALICE.id], requesterMayApprove: true });
    const second = await run(emulator, { ...APP1_PROD, approvers: 'alice@contoso.com' });
    ended(second, 'SucceededWithIssues');
    assert.equal(approval(id)!.timeout, 60, 'its timeout is kept');
    assert.equal(approval(id)!.settings.requesterCannotBeApprover, false, 'its requester setting is kept');
    assert.match(
      second.stdout,
      /keeps its timeout 60 minutes \(asked: 43200\), setting that the requester may approve \(asked: the requester may not approve\)/,
    );
  });

  it('fails before any write when an approver is unknown, naming the line', async () => {
    const outcome = await run(emulator, { ...PROTECTED, approvers: 'alice@contoso.com\nnobody@contoso.com' });
    failed(outcome, /Input 'approvers' line 2 names 'nobody@contoso\.com', which is not a user or group of the organization/);
    assert.equal(emulator.writes().length, 0, 'nothing was written');
  });

  it('fails before any write when the organization does not let the identity read its identities', async () => {
    emulator.configure({ identitiesDenied: true });
    const outcome = await run(emulator, PROTECTED);
    failed(outcome, /Could not look up the approver 'alice@contoso\.com': TF400813: .*\(HTTP 401.*may not read the organization's users and groups/);
    assert.equal(emulator.writes().length, 0, 'nothing was written');
  });

  it('rides out throttling of the check writes, adding each once', async () => {
    emulator.faults.add({ ...throttled('devops', 5, { method: 'POST', path: /checks\/configurations/, writesOnly: true }), times: 2 });
    ended(await run(emulator, PROTECTED), 'Succeeded');
    assert.deepEqual(emulator.faults.pending(), [], 'both were throttled');
    const id = emulator.state().serviceConnections.find((c) => c.name === 'app1-prod')!.id;
    assert.equal(checksOf(id).length, 2, 'one of each');
  });

  it('fails in the preflight when the identity lacks the Administrator role on an existing connection', async () => {
    // The connection is made by a project administrator (their token); the job identity is a Creator only.
    const made = await run(
      emulator,
      { ...APP1_PROD, devOpsAuth: 'personalAccessToken', devOpsTokenVariable: 'ADO_PAT' },
      { secretVariables: { ADO_PAT: emulator.world.personalAccessTokens.administrator } },
    );
    ended(made, 'Succeeded');
    const writes = emulator.writes().length;
    const outcome = await run(emulator, PROTECTED);
    failed(
      outcome,
      /Permission check failed before any write: .*lacks the Administrator role on the service connection 'app1-prod', which managing its approvals and checks needs/,
    );
    assert.equal(emulator.writes().length, writes, 'nothing was written');
  });

  it('dry run: says what it would create and writes nothing', async () => {
    const outcome = await run(emulator, { ...PROTECTED, dryRun: 'true' });
    ended(outcome, 'Succeeded');
    assert.match(outcome.stdout, /Would create: the approval check with approvers 'Alice Approver', '\[platform\]\\Release Approvers'/);
    assert.match(outcome.stdout, /Would create: the branch control check on the connection allowing 'refs\/heads\/main, refs\/heads\/release\/\*'\./);
    assert.equal(emulator.writes().length, 0);
  });

  for (const skip of [0, 1]) {
    it(`a lost answer to the ${skip === 0 ? 'first' : 'second'} check added is not added twice`, async () => {
      emulator.faults.add({ ...answerLost('devops', { method: 'POST', path: /checks\/configurations/, writesOnly: true }), skip });
      ended(await run(emulator, PROTECTED), 'Succeeded');
      assert.deepEqual(emulator.faults.pending(), [], 'the fault fired');
      const id = emulator.state().serviceConnections.find((c) => c.name === 'app1-prod')!.id;
      assert.equal(checksOf(id).length, 2, 'one of each');
    });
  }

  it('two runs at once both succeed and leave one check of each kind', async () => {
    const [a, b] = await Promise.all([run(emulator, PROTECTED), run(emulator, PROTECTED)]);
    ended(a, 'Succeeded');
    ended(b, 'Succeeded');
    const id = emulator.state().serviceConnections.find((c) => c.name === 'app1-prod')!.id;
    assert.deepEqual(
      checksOf(id)
        .map((c) => c.type.id)
        .sort(),
      [CHECK_TYPES.approval, CHECK_TYPES.taskCheck].sort(),
      'one approval, one branch control',
    );
  });

  // Crash cut points of the check writes: each POST (first and second, the two go side by side) and the
  // PATCH that adds an approver, cut by a crash right after the service applied it, or refused.
  const cuts = [
    { write: 'the first check added', method: 'POST', skip: 0, before: undefined },
    { write: 'the second check added', method: 'POST', skip: 1, before: undefined },
    { write: 'the approver added', method: 'PATCH', skip: 0, before: { ...PROTECTED, approvers: 'alice@contoso.com' } },
  ] as const;
  for (const cut of cuts) {
    for (const how of ['crash', 'refused'] as const) {
      it(`a run cut at ${cut.write} (${how === 'crash' ? 'killed right after it was applied' : 'the write refused'}) converges on the re-run`, async () => {
        if (cut.before) ended(await run(emulator, cut.before), 'Succeeded');
        const where = { method: cut.method, path: /checks\/configurations/, writesOnly: true };
        const controller = new AbortController();
        emulator.faults.add(
          how === 'crash'
            ? { ...crashAfterApply('devops', where), skip: cut.skip, onFire: () => controller.abort() }
            : { ...refused('devops', where), skip: cut.skip },
        );
        const outcome = await run(emulator, PROTECTED, { signal: controller.signal });
        if (how === 'crash') assert.ok(outcome.killed, 'the run was cut');
        else failed(outcome, /\(HTTP 403/);
        assert.deepEqual(emulator.faults.pending(), [], 'the cut happened');
        ended(await run(emulator, PROTECTED), 'Succeeded');
        const id = emulator.state().serviceConnections.find((c) => c.name === 'app1-prod')!.id;
        assert.deepEqual(
          checksOf(id)
            .map((c) => c.type.id)
            .sort(),
          [CHECK_TYPES.approval, CHECK_TYPES.taskCheck].sort(),
          'one of each',
        );
        assert.deepEqual(approverIds(id), [ALICE.id, RELEASE_APPROVERS.id].sort(), 'every approver, once');
        const writes = emulator.writes().length;
        ended(await run(emulator, PROTECTED), 'Succeeded');
        assert.equal(emulator.writes().length, writes, 'and a further run writes nothing');
      });
    }
  }
});
