/** The Agent a pipeline run talks to (src/agent.ts pipelineAgent), over the agent port. */
import { strict as assert } from 'node:assert';
import { pipelineAgent } from '../../src/agent';
import { recordingPort } from './recordingPort';

describe('pipelineAgent', () => {
  it('hands every line and message to the port on one line, so no text can start a logging command', () => {
    const port = recordingPort({});
    const agent = pipelineAgent(port);
    agent.info('Created:\n  ##vso[task.complete result=Succeeded;]x');
    agent.debug('a\r\nb');
    agent.warn(' kept \n as one ');
    agent.succeed('done');
    agent.succeedWithIssues('done\nwith issues');
    agent.fail('failed\n##VSO[task.setvariable variable=x]y');
    assert.deepEqual(port.calls, [
      'log Created: ##vso_[task.complete result=Succeeded;]x',
      'debug a b',
      'warning kept as one',
      'setResult Succeeded done',
      'setResult SucceededWithIssues done with issues',
      'setResult Failed failed ##vso_[task.setvariable variable=x]y',
    ]);
  });

  it("tells a long wait's progress as a log line and the step's progress (task.setprogress), each on one line (issue 23)", () => {
    const port = recordingPort({});
    pipelineAgent(port).progress('Still waiting for x: 10 s so far,\n at most 120 s.', 8, 'Waiting for x');
    assert.deepEqual(port.calls, ['log Still waiting for x: 10 s so far, at most 120 s.', 'setProgress 8 Waiting for x']);
  });

  it('registers secrets that have a value, and sets outputs as they are', () => {
    const port = recordingPort({});
    const agent = pipelineAgent(port);
    agent.secret(undefined);
    agent.secret('');
    agent.secret('s3cret');
    agent.output('clientId', 'c1');
    assert.deepEqual(port.calls, ['setSecret s3cret', 'setOutput clientId=c1']);
  });

  it('reads the task over the port', () => {
    const port = recordingPort({ inputs: { connectionName: 'app1-dev' } });
    assert.equal(pipelineAgent(port).readTask().inputs.connectionName, 'app1-dev');
    assert.ok(port.calls.includes('input connectionName'));
  });
});

describe('pipelineAgent: the run summary', () => {
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
});
