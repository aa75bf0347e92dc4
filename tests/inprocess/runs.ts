/**
 * The in-process runs the convergence tests (crash, faults, concurrency, bad input, dry run, nothing lost)
 * make: on the emulator's virtual clock, with System.Debug on, everything printed scanned for secrets; and
 * one clean run of a scenario for reference.
 */
import type { RequestLogEntry } from '../support/emulator';
import { assertNoSecretPrinted, canonicalState, succeeded, type IdentityScenario } from '../support/scenarios';
import type { TaskRun } from '../support/taskRun';
import { Emulator, runInProcess, type InProcessOptions } from './harness';

/**
 * Runs the task in this process (tests/inprocess/harness.ts) on the emulator's virtual clock, with
 * System.Debug on, and scans all it printed for secrets.
 */
export async function run(emulator: Emulator, inputs: Record<string, string>, options: InProcessOptions = {}): Promise<TaskRun> {
  const result = await runInProcess(emulator, inputs, { ...options, variables: { 'System.Debug': 'true', ...(options.variables ?? {}) } });
  assertNoSecretPrinted(emulator, result);
  return result;
}

/**
 * One clean run of a scenario on a fresh emulator: the reference the crash, fault and concurrency tests
 * compare their end states with, and the writes it made.
 */
export async function cleanRun(scenario: IdentityScenario): Promise<{ state: Record<string, string[]>; writes: RequestLogEntry[] }> {
  const emulator = await Emulator.start();
  try {
    succeeded(await run(emulator, scenario.inputs));
    return { state: canonicalState(emulator), writes: emulator.writes() };
  } finally {
    await emulator.stop();
  }
}
