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
