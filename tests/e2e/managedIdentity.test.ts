/**
 * The bundled task, spawned as the agent spawns it (tests/e2e/harness.ts), on Node 20 and Node 24: the
 * agent's contract (INPUT_*, ENDPOINT_*, SYSTEMVSSCONNECTION, variables, ##vso commands on stdout) and a
 * bundle that runs without node_modules. With System.Debug on, everything the process printed, task-lib's
 * own echoes included, is scanned for every secret the emulator handled, and so is the summary it attaches. What a run does is tested in
 * process (tests/inprocess/managedIdentity.test.ts and the convergence suites).
 */
import { strict as assert } from 'node:assert';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Emulator } from '../support/emulator';
import { useConnection } from '../support/useConnection';
import { type RunOptions } from '../support/taskRun';
import { node24 } from './node24';
import { assertConverged, MANAGED_IDENTITY, OUTPUTS, printed, succeeded } from '../support/scenarios';
import { runSpawned } from './harness';

describe('the bundled task, spawned as the agent spawns it: a managed identity connection', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  const provisions = async (options: RunOptions): Promise<void> => {
    const run = await runSpawned(emulator, MANAGED_IDENTITY.inputs, options);
    succeeded(run);
    assert.equal(run.exitCode, 0);
    assert.deepEqual(Object.keys(run.outputs), OUTPUTS.managedIdentity, 'outputs in the documented order, as ##vso[task.setvariable] commands');
    assertConverged(emulator, MANAGED_IDENTITY);
    assert.ok(run.secrets.includes(emulator.world.jobAccessToken), 'the job access token is masked');
    assert.doesNotMatch(printed(run), /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'no JWT appears in the output');
    const used = await useConnection(emulator, run.outputs.serviceConnectionId);
    assert.equal(used.status, 200, `a later pipeline using the connection reaches ARM at ${used.scope}: ${JSON.stringify(used.body)}`);
    // The run's summary: task-lib's attachment command, the file in the job's Agent.TempDirectory (the harness's).
    const attachment = /^##vso\[task\.addattachment type=Distributedtask\.Core\.Summary;name=Workload identity connection: app1-dev;\](.+)$/m.exec(run.stdout);
    assert.ok(attachment, 'the summary is attached with addAttachment');
    assert.match(dirname(attachment[1]), new RegExp(`^${join(tmpdir(), 'wic-agent-temp-').replace(/[.\\]/g, '\\$&')}`), 'under Agent.TempDirectory');
    assert.match(
      run.summaries[0] ?? '',
      /^\| \*\*created\*\* \| service connection \| \[app1\\-dev\]\(<https:\/\/[^>]+\/_settings\/adminservices\?resourceId=/m,
    );
  };

  it('on Node 20 provisions it, the connection gets an ARM token, and with System.Debug on no secret is printed', async () => {
    await provisions({});
  });

  it('on Node 24 provisions it from the bundle alone, printing no secret', async () => {
    await provisions({ nodePath: await node24() });
  });
});
