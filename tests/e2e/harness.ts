/**
 * Runs the bundled task the way the Azure Pipelines agent does, against the emulator: a child process with
 * the agent's environment (tests/support/taskRun.ts), its results read from the ##vso[...] logging commands
 * on stdout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Emulator } from '../support/emulator';
import { assertNoSecretInSummaries, assertNoSecretPrinted } from '../support/scenarios';
import { parseLoggingCommands, readSummaries, repositoryRoot, taskEnvironment, type RunOptions, type TaskRun } from '../support/taskRun';

const DEFAULT_ENTRY = join('dist', 'WorkloadIdentityConnection', 'index.js');

/**
 * Spawned runs write no coverage: the bundle has no source map, so what they would write counts for no file
 * of src/ (.c8rc.json) and only slows them. Empty, because Node hands its own NODE_V8_COVERAGE to every
 * child whose environment does not name it (child_process normalizeSpawnArguments).
 */
export const NO_COVERAGE = { NODE_V8_COVERAGE: '' };

export async function runTask(emu: Emulator, inputs: Record<string, string>, options: RunOptions = {}): Promise<TaskRun> {
  const root = repositoryRoot();
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !/^(INPUT_|ENDPOINT_|SECRET_)/i.test(entry[0])),
  );
  // Each run is a job on its own agent: task-lib keeps its vault key (.taskkey) in Agent.TempDirectory, and
  // two tasks sharing one would overwrite each other's key.
  const agentTemp = mkdtempSync(join(tmpdir(), 'wic-agent-temp-'));
  const merged: Record<string, string | undefined> = {
    ...inherited,
    ...NO_COVERAGE,
    ...taskEnvironment(emu, inputs, options),
    AGENT_TEMPDIRECTORY: options.env && 'AGENT_TEMPDIRECTORY' in options.env ? options.env.AGENT_TEMPDIRECTORY : agentTemp,
  };
  const env = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));

  const startedAt = performance.timeOrigin + performance.now();
  const started = performance.now();
  const child = spawn(options.nodePath ?? process.execPath, [resolve(root, options.entry ?? DEFAULT_ENTRY)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
    killSignal: 'SIGKILL',
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let killed = false;
  const exitCode = await new Promise<number>((done, fail) => {
    // An aborted signal reports an AbortError here, then 'close' with the signal.
    child.on('error', (error) => (error.name === 'AbortError' ? (killed = true) : fail(error)));
    child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
  const durationMs = performance.now() - started;
  const out = Buffer.concat(stdout).toString('utf8');
  const parsed = parseLoggingCommands(out);
  // The summary files live in Agent.TempDirectory, as the agent's do until it uploads them: read before it goes.
  const summaries = killed ? [] : readSummaries(parsed.attachments);
  rmSync(agentTemp, { recursive: true, force: true });
  const result = { exitCode, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), durationMs, killed, startedAt, summaries, ...parsed };
  assertNoSecretInSummaries(emu, result);
  return result;
}

/** Runs the bundled task as the agent does, in a process of its own, with System.Debug on, and scans all it printed for secrets. */
export async function runSpawned(emulator: Emulator, inputs: Record<string, string>, options: RunOptions = {}): Promise<TaskRun> {
  const result = await runTask(emulator, inputs, { ...options, variables: { 'System.Debug': 'true', ...(options.variables ?? {}) } });
  assertNoSecretPrinted(emulator, result);
  return result;
}
