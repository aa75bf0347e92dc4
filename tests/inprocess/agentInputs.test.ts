/**
 * The task's inputs read by src/taskInputs.ts over the real task-lib adapter (src/taskLib.ts) in this
 * process: devOpsTokenVariable is read without task-lib's `name=value` debug echo, so a token pasted into
 * it is masked before anything could print it (issue 15, point 9).
 */
import '../support/taskLibHome';
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import * as internal from 'azure-pipelines-task-lib/internal';
import { isVariableName } from '../../src/requestAccess';
import { readTask } from '../../src/taskInputs';
import { taskLib } from '../../src/taskLib';

describe('devOpsTokenVariable read over the real task-lib (in-process)', () => {
  const PAT = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';
  const stored: string[] = [];
  let printed = '';

  before(() => {
    internal._setStdStream(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          printed += chunk.toString();
          done();
        },
      }),
    );
    const store = (key: string, value: string) => {
      internal._vault.storeSecret(key, value);
      stored.push(key);
    };
    store('INPUT_DEVOPSAUTH', 'personalAccessToken');
    store('INPUT_DEVOPSTOKENVARIABLE', PAT);
    store('INPUT_CONNECTIONNAME', 'app1-dev');
  });
  after(() => {
    internal._setStdStream(process.stdout);
    for (const key of stored) internal._vault.storeSecret(key, '');
  });

  it('masks a PAT pasted into it before anything prints it, never echoes it, and the request refuses it', () => {
    const raw = readTask(taskLib);
    assert.equal(raw.inputs.devOpsTokenVariable, PAT);
    const lines = printed.split(/\r?\n/);
    const masked = lines.findIndex((line) => line === `##vso[task.setsecret]${PAT}`);
    assert.ok(masked >= 0, 'the value was handed to the masker');
    const first = lines.findIndex((line) => line.includes(PAT));
    assert.equal(first, masked, 'the first line holding the value is the one that masks it');
    assert.doesNotMatch(printed, /devOpsTokenVariable=/, 'no task-lib echo of the input');
    // request.ts then refuses it by its shape without echoing it (devopsAuth.test.ts: 'a token pasted into devOpsTokenVariable').
    assert.equal(isVariableName(raw.inputs.devOpsTokenVariable ?? ''), false);
  });
});
