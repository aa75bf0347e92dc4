/**
 * A real crash: the bundled task's process is killed (SIGKILL, as when the agent or its machine dies)
 * right after the service applied one of its writes, and the re-run, another process, ends as one clean
 * run. Every cut point and every kind of cut is tested in process (tests/inprocess/crash.test.ts); this
 * is the one that proves a killed process leaves nothing the re-run trips over.
 */
import { strict as assert } from 'node:assert';
import { Emulator } from '../support/emulator';
import { answerLost } from '../support/emulator/faults';
import { useConnection } from '../support/useConnection';
import { assertConverged, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { runSpawned } from './harness';

describe('the bundled task, spawned: killed right after a write, then run again', function () {
  this.timeout(120_000);

  it('the re-run of a process killed after its role assignment was applied ends as one clean run', async () => {
    const emulator = await Emulator.start();
    try {
      const point = MANAGED_IDENTITY.writes.find((w) => w.what === 'the role assignment')!;
      const crash = new AbortController();
      emulator.faults.add({ ...answerLost(point.service, { method: point.method, path: point.path, writesOnly: true }), onFire: () => crash.abort() });
      const cut = await runSpawned(emulator, MANAGED_IDENTITY.inputs, { signal: crash.signal });
      assert.ok(cut.killed, 'the task process was killed at the cut');
      assert.equal(cut.result, undefined, 'a killed process reports no result');
      assert.deepEqual(emulator.faults.pending(), [], 'the cut happened');

      const again = await runSpawned(emulator, MANAGED_IDENTITY.inputs);
      succeeded(again);
      assertConverged(emulator, MANAGED_IDENTITY);
      assert.equal((await useConnection(emulator, again.outputs.serviceConnectionId)).status, 200);
    } finally {
      await emulator.stop();
    }
  });
});
