/**
 * The agent port's adapter (src/taskLib.ts) against task-lib's own functions, stubbed with sinon: which
 * call of task-lib each port call makes, with which arguments, and which it avoids because it would print
 * a secret before the task could mask it.
 */
import '../support/taskLibHome';
import { strict as assert } from 'node:assert';
// The module objects themselves, which sinon stubs: a namespace import may be a copy of them (esbuild's
// CommonJS interop), whose stubbed properties task-lib's callers would never see.
import internal = require('azure-pipelines-task-lib/internal');
import tl = require('azure-pipelines-task-lib/task');
import sinon from 'sinon';
import { taskLib } from '../../src/taskLib';

describe('taskLib: the agent port over azure-pipelines-task-lib', () => {
  afterEach(() => sinon.restore());

  it('reads an input with getInput, not required', () => {
    const getInput = sinon.stub(tl, 'getInput').returns('app1-dev');
    assert.equal(taskLib.input('connectionName'), 'app1-dev');
    sinon.assert.calledOnceWithExactly(getInput, 'connectionName', false);
  });

  it("reads a quiet input from the vault getInput reads, without getInput's name=value debug line", () => {
    const getInput = sinon.stub(tl, 'getInput');
    const retrieveSecret = sinon.stub(internal._vault, 'retrieveSecret').returns('abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst');
    assert.equal(taskLib.quietInput('devOpsTokenVariable'), 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst');
    sinon.assert.calledOnceWithExactly(retrieveSecret, 'INPUT_DEVOPSTOKENVARIABLE');
    sinon.assert.notCalled(getInput);
    retrieveSecret.returns(null as unknown as string);
    assert.equal(taskLib.quietInput('devOpsTokenVariable'), undefined, "the vault's null is no value");
  });

  it('reads a variable with getVariable, secret when the environment has no plain copy of it', () => {
    const getVariable = sinon.stub(tl, 'getVariable').returns('value');
    const key = 'WIC_TASKLIB_TEST_VARIABLE';
    delete process.env[key];
    try {
      assert.deepEqual(taskLib.variable('wic.taskLib test.variable'), { value: 'value', secret: true });
      sinon.assert.calledOnceWithExactly(getVariable, 'wic.taskLib test.variable');
      process.env[key] = 'value';
      assert.deepEqual(taskLib.variable('wic.taskLib test.variable'), { value: 'value', secret: false });
      getVariable.returns(undefined);
      delete process.env[key];
      assert.deepEqual(taskLib.variable('wic.taskLib test.variable'), { value: undefined, secret: false }, 'a variable the job lacks is not a secret');
    } finally {
      delete process.env[key];
    }
  });

  it('reads an endpoint with getEndpointAuthorization, never getEndpointAuthorizationParameter (which echoes each value)', () => {
    const authorization = sinon.stub(tl, 'getEndpointAuthorization').returns({ scheme: 'ServicePrincipal', parameters: { serviceprincipalkey: 's3cret' } });
    const parameter = sinon.stub(tl, 'getEndpointAuthorizationParameter');
    const scheme = sinon.stub(tl, 'getEndpointAuthorizationScheme').returns('ServicePrincipal');
    const url = sinon.stub(tl, 'getEndpointUrl').returns('https://management.azure.com/');
    const data = sinon.stub(tl, 'getEndpointDataParameter').returns('AzureCloud');
    assert.deepEqual(taskLib.endpointAuthorization('e1'), { serviceprincipalkey: 's3cret' });
    assert.equal(taskLib.endpointAuthorizationScheme('e1'), 'ServicePrincipal');
    assert.equal(taskLib.endpointUrl('e1'), 'https://management.azure.com/');
    assert.equal(taskLib.endpointData('e1', 'environment'), 'AzureCloud');
    sinon.assert.calledOnceWithExactly(authorization, 'e1', true);
    sinon.assert.calledOnceWithExactly(scheme, 'e1', true);
    sinon.assert.calledOnceWithExactly(url, 'e1', true);
    sinon.assert.calledOnceWithExactly(data, 'e1', 'environment', true);
    sinon.assert.notCalled(parameter);
    authorization.returns(undefined);
    assert.equal(taskLib.endpointAuthorization('e2'), undefined, 'an endpoint the job lacks');
    authorization.throws(new Error('Invalid endpoint auth'));
    assert.throws(() => taskLib.endpointAuthorization('e3'), /Invalid endpoint auth/, "a malformed authorization throws, as task-lib's does");
  });

  it("reads the agent's proxy and CA file", () => {
    const proxy = {
      proxyUrl: 'http://proxy:8080',
      proxyUsername: 'u',
      proxyPassword: 'p',
      proxyBypassHosts: ['x'],
      proxyFormattedUrl: 'http://u:p@proxy:8080',
    };
    const getProxy = sinon.stub(tl, 'getHttpProxyConfiguration').returns(proxy);
    const getCert = sinon.stub(tl, 'getHttpCertConfiguration').returns({ caFile: '/etc/ca.pem' });
    assert.deepEqual(taskLib.proxy(), proxy);
    assert.equal(taskLib.caFile(), '/etc/ca.pem');
    sinon.assert.calledOnceWithExactly(getProxy);
    getProxy.returns(null);
    getCert.returns(null);
    assert.equal(taskLib.proxy(), undefined, 'no proxy');
    assert.equal(taskLib.caFile(), undefined, 'no CA file');
  });

  it('registers a secret with setSecret, and sets an output with setVariable(name, value, not secret, output)', () => {
    const setSecret = sinon.stub(tl, 'setSecret');
    const setVariable = sinon.stub(tl, 'setVariable');
    taskLib.setSecret('s3cret');
    taskLib.setOutput('clientId', 'c1');
    sinon.assert.calledOnceWithExactly(setSecret, 's3cret');
    sinon.assert.calledOnceWithExactly(setVariable, 'clientId', 'c1', false, true);
  });

  it('writes log lines to stdout, debug lines and warnings as task-lib commands', () => {
    const log = sinon.stub(console, 'log');
    const debug = sinon.stub(tl, 'debug');
    const warning = sinon.stub(tl, 'warning');
    taskLib.log('Created: service connection');
    taskLib.debug('a debug line');
    taskLib.warning('a warning');
    log.restore();
    sinon.assert.calledOnceWithExactly(log, 'Created: service connection');
    sinon.assert.calledOnceWithExactly(debug, 'a debug line');
    sinon.assert.calledOnceWithExactly(warning, 'a warning');
  });

  it("reports progress with task-lib's setProgress (##vso[task.setprogress value=N;]operation)", () => {
    const setProgress = sinon.stub(tl, 'setProgress');
    taskLib.setProgress(20, 'Waiting for the identity to replicate');
    sinon.assert.calledOnceWithExactly(setProgress, 20, 'Waiting for the identity to replicate');
  });

  it("sets the result with task-lib's TaskResult", () => {
    const setResult = sinon.stub(tl, 'setResult');
    taskLib.setResult('Succeeded', 'done');
    taskLib.setResult('SucceededWithIssues', 'done, one warning');
    taskLib.setResult('Failed', 'failed');
    assert.deepEqual(setResult.args, [
      [tl.TaskResult.Succeeded, 'done'],
      [tl.TaskResult.SucceededWithIssues, 'done, one warning'],
      [tl.TaskResult.Failed, 'failed'],
    ]);
  });
});

describe('the task-lib adapter: the run summary', () => {
  afterEach(() => sinon.restore());

  it('taskLib writes the file with writeFile, then attaches it with addAttachment as a Distributedtask.Core.Summary', () => {
    const writeFile = sinon.stub(tl, 'writeFile');
    const addAttachment = sinon.stub(tl, 'addAttachment');
    taskLib.attachSummary('Workload identity connection: app1-dev', '/agent/_temp/s.md', '## x\n');
    sinon.assert.calledOnceWithExactly(writeFile, '/agent/_temp/s.md', '## x\n', 'utf8');
    sinon.assert.calledOnceWithExactly(addAttachment, 'Distributedtask.Core.Summary', 'Workload identity connection: app1-dev', '/agent/_temp/s.md');
    sinon.assert.callOrder(writeFile, addAttachment);
  });
});
