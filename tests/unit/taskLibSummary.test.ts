/**
 * The run's summary through the agent port: task-lib's writeFile and addAttachment (stubbed with sinon, as
 * in the adapter's other tests), the pipeline Agent's file under Agent.TempDirectory with every registered
 * secret masked, and the terminal's --summary file and $GITHUB_STEP_SUMMARY.
 */
import '../support/taskLibHome';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tl from 'azure-pipelines-task-lib/task';
import sinon from 'sinon';
import { pipelineAgent } from '../../src/agent';
import { TerminalAgent } from '../../src/commandLine/terminalAgent';
import { systemClock } from '../../src/clock';
import { taskLib } from '../../src/taskLib';
import { terminal } from './commandLine/terminal';
import { recordingPort } from './recordingPort';

describe('the run summary through the agent port', () => {
  afterEach(() => sinon.restore());

  it('taskLib writes the file with writeFile, then attaches it with addAttachment as a Distributedtask.Core.Summary', () => {
    const writeFile = sinon.stub(tl, 'writeFile');
    const addAttachment = sinon.stub(tl, 'addAttachment');
    taskLib.attachSummary('Workload identity connection: app1-dev', '/agent/_temp/s.md', '## x\n');
    sinon.assert.calledOnceWithExactly(writeFile, '/agent/_temp/s.md', '## x\n', 'utf8');
    sinon.assert.calledOnceWithExactly(addAttachment, 'Distributedtask.Core.Summary', 'Workload identity connection: app1-dev', '/agent/_temp/s.md');
    sinon.assert.callOrder(writeFile, addAttachment);
  });

  it('the pipeline Agent writes a file of its own under Agent.TempDirectory, named on one line, with every secret masked', () => {
    const port = recordingPort({ variables: { 'Agent.TempDirectory': { value: '/agent/_temp', secret: false } } });
    const agent = pipelineAgent(port);
    agent.secret('s3cret-value');
    agent.summary({ title: 'Workload identity connection: a\nb', markdown: 'has s3cret-value\n' });
    const call = port.calls.find((c) => c.startsWith('attachSummary'));
    assert.match(call ?? '', /^attachSummary Workload identity connection: a b \/agent\/_temp\/workload-identity-connection-[0-9a-f-]{36}\.md has \*\*\*\n$/);
  });

  it('a summary that cannot be attached is a warning, never the end of the run', () => {
    const port = {
      ...recordingPort({}),
      attachSummary: () => {
        throw new Error('ENOSPC');
      },
    };
    const agent = pipelineAgent(port);
    agent.summary({ title: 't', markdown: 'm' });
    assert.match(port.calls.at(-1) ?? '', /^warning Could not attach the run's summary \(.*\): ENOSPC$/);
  });

  it('the terminal writes --summary anew and appends to $GITHUB_STEP_SUMMARY, secrets masked; a terminal alone gets nothing', () => {
    const directory = mkdtempSync(join(tmpdir(), 'wic-summary-'));
    const file = join(directory, 'summary.md');
    const step = join(directory, 'step_summary');
    writeFileSync(file, 'old');
    writeFileSync(step, '## an earlier step\n');
    const raw = { inputs: {}, bootstrap: { id: 'x', parameters: {}, data: {} } };
    const io = terminal();
    const agent = new TerminalAgent(raw, io.io, false, systemClock, { file, append: step });
    agent.secret('pat-secret-value-123');
    agent.summary({ title: 't', markdown: '## t\nwith pat-secret-value-123\n' });
    assert.equal(readFileSync(file, 'utf8'), '## t\nwith ***\n');
    assert.equal(readFileSync(step, 'utf8'), '## an earlier step\n\n## t\nwith ***\n');
    assert.deepEqual(io.stdout, []);

    const unwritable = terminal();
    new TerminalAgent(raw, unwritable.io, false, systemClock, { file: join(file, 'no', 'such') }).summary({ title: 't', markdown: 'm' });
    assert.match(unwritable.stderr.join(''), /^warning: could not write the summary to .*: ENOTDIR/);

    const plain = terminal();
    new TerminalAgent(raw, plain.io, false, systemClock).summary({ title: 't', markdown: 'm' });
    assert.deepEqual([...plain.stdout, ...plain.stderr], [], 'nothing extra on a terminal');
    assert.equal(dirname(file), directory);
  });
});
