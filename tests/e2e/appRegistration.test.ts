/**
 * The bundled task, spawned as the agent spawns it, for an app registration, on Node 20 and on Node 24
 * (whose own fetch carries the Graph client's requests). With System.Debug on, everything the process
 * printed, task-lib's own echoes included, is scanned for every secret. What a run does is tested in
 * process (tests/inprocess/appRegistration.test.ts and the convergence suites).
 */
import { strict as assert } from 'node:assert';
import { Emulator } from '../support/emulator';
import { useConnection } from '../support/useConnection';
import { type RunOptions } from '../support/taskRun';
import { node24 } from './node24';
import { APP_REGISTRATION, assertConverged, OUTPUTS, printed, succeeded } from '../support/scenarios';
import { runSpawned } from './harness';

describe('the bundled task, spawned as the agent spawns it: an app registration connection', function () {
  this.timeout(300_000);
  let emulator: Emulator;
  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  const provisions = async (options: RunOptions): Promise<void> => {
    const run = await runSpawned(emulator, APP_REGISTRATION.inputs, options);
    succeeded(run);
    assert.deepEqual(Object.keys(run.outputs), OUTPUTS.appRegistration, 'outputs in the documented order');
    assertConverged(emulator, APP_REGISTRATION);
    assert.doesNotMatch(printed(run), /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'no token (the Graph token included) appears in the output');
    for (const secret of run.secrets) assert.ok(!printed(run).includes(secret), 'a registered secret is never printed');
    assert.equal((await useConnection(emulator, run.outputs.serviceConnectionId)).status, 200);
  };

  it('on Node 20 provisions it, the connection gets an ARM token, and with System.Debug on no secret is printed', async () => {
    await provisions({});
  });

  it('on Node 24 provisions it from the bundle alone, printing no secret', async () => {
    await provisions({ nodePath: await node24() });
  });
});
