/**
 * The run's summary, whole runs in process: every ending attaches one Markdown file under
 * Agent.TempDirectory (tl.addAttachment, type Distributedtask.Core.Summary), titled after the connection,
 * built from what the run did. Its content for each kind of ending is specified by the renderer's unit
 * tests (tests/unit/summary.test.ts); the harness checks every summary any in-process run writes for
 * credentials the emulator issued.
 */
import { strict as assert } from 'node:assert';
import { dirname } from 'node:path';
import { failed, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { SUMMARY_ATTACHMENT, type TaskRun } from '../support/taskRun';
import { Emulator, runInProcess } from './harness';

/** The one summary a run attached, checked to be a file of its own in Agent.TempDirectory. */
function summaryOf(emulator: Emulator, run: TaskRun, connectionName = 'app1-dev'): string {
  assert.equal(run.attachments.length, 1, 'one attachment per run');
  const [attachment] = run.attachments;
  assert.equal(attachment.type, SUMMARY_ATTACHMENT);
  assert.equal(attachment.name, `Workload identity connection: ${connectionName}`);
  assert.equal(dirname(attachment.path), emulator.agentEnvironment().AGENT_TEMPDIRECTORY, 'written under Agent.TempDirectory');
  const at = run.stdout.indexOf('##vso[task.addattachment');
  assert.ok(at >= 0 && at < run.stdout.indexOf('##vso[task.complete'), 'attached before the result');
  return run.summaries[0];
}

describe('the run summary, whole runs in process', function () {
  this.timeout(60_000);
  let emulator: Emulator;

  before(async () => {
    emulator = await Emulator.start();
  });
  after(async () => {
    await emulator.stop();
  });

  it('a first run attaches what it created, with links, issuer, subject, verification and outputs; a re-run what it kept; a dry run what it would do', async () => {
    const first = await runInProcess(emulator, MANAGED_IDENTITY.inputs);
    succeeded(first);
    const created = summaryOf(emulator, first);
    assert.match(created, /^## Workload identity connection: app1\\-dev$/m);
    assert.match(
      created,
      /^\| \*\*created\*\* \| managed identity \| \[id\\-app1\\-dev\]\(<https:\/\/portal\.azure\.com\/#@[0-9a-f-]{36}\/resource\/subscriptions\/.*\/userAssignedIdentities\/id-app1-dev>\)/m,
    );
    assert.ok(created.includes(`/_settings/adminservices?resourceId=${first.outputs.serviceConnectionId}>`), 'the connection links to its settings page');
    assert.ok(created.includes(`\`${first.outputs.workloadIdentitySubject}\``), 'the subject');
    assert.match(created, /^- Verification: verified by Azure DevOps after \d+ s \(\d+ requests?\)$/m);
    assert.ok(created.includes(`| \`clientId\` | \`${first.outputs.clientId}\` |`), 'the outputs');

    const kept = summaryOf(emulator, await runInProcess(emulator, MANAGED_IDENTITY.inputs));
    assert.doesNotMatch(kept, /\*\*created\*\*/);
    assert.match(kept, /^\| \*\*kept\*\* \| service connection \|/m);

    const dryRun = await runInProcess(emulator, { ...MANAGED_IDENTITY.inputs, dryRun: 'true' });
    succeeded(dryRun);
    const plan = summaryOf(emulator, dryRun);
    assert.match(plan, /^\*\*Dry run\*\*: nothing was written/m);
    assert.match(plan, /^\| \*\*would keep\*\* \| managed identity \|/m);
    assert.doesNotMatch(plan, /### Output variables/, 'a dry run sets no outputs');
  });

  it('a failed run attaches what it did before the failure, the failure line with its fix, and the re-run advice', async () => {
    emulator.faults.add({
      service: 'arm',
      method: 'PUT',
      path: /\/federatedIdentityCredentials\//,
      status: 403,
      body: { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action.' } },
      times: Infinity,
    });
    const run = await runInProcess(emulator, { ...MANAGED_IDENTITY.inputs, connectionName: 'app2-dev' });
    emulator.faults.clear();
    failed(run, /federated credential/);
    const summary = summaryOf(emulator, run, 'app2-dev');
    assert.match(summary, /^### Done before the failure$/m);
    assert.match(summary, /^\| \*\*created\*\* \| managed identity \| \[id\\-app2\\-dev\]/m);
    assert.match(summary, /^\| \*\*created\*\* \| service connection \| app2\\-dev \|/m);
    assert.doesNotMatch(summary, /federated credential \|/, 'the write that failed is not among those done');
    assert.match(summary, /^\*\*Failed\*\*: Could not .*AuthorizationFailed.*Grant the bootstrap connection's identity/m);
    assert.match(summary, /^\*\*Re-run\*\* the task/m);
  });

  it('a run stopped by its inputs attaches the failure, nothing written', async () => {
    const run = await runInProcess(emulator, { ...MANAGED_IDENTITY.inputs, replicationWaitSeconds: 'soon' });
    failed(run, /replicationWaitSeconds/);
    const summary = summaryOf(emulator, run);
    assert.match(summary, /^Nothing was written\.$/m);
    assert.match(summary, /^\*\*Failed\*\*: Input 'replicationWaitSeconds'/m);
  });
});
