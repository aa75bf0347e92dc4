/**
 * `npm test` after the transpile (`npm run transpile`: esbuild, each file on its own, no type check, under a
 * second, the same transform the bundle ships) and the bundle: two lanes, one per core of this project's
 * 2-core machine, then the coverage of src/ against its floor (.c8rc.json). One lane is the unit, emulator and
 * in-process tiers under c8; the other the type check (tsc), lint (eslint's type-aware pass, prettier), then
 * the spawned tier. A run takes the longer lane rather than the sum. The second lane's output is held and
 * printed after the first's, the coverage figure last; the exit code is non-zero when any part failed.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const bin = (name: string): string => resolve(ROOT, 'node_modules', '.bin', name);

/** Runs a command from the repository's root; `held` collects its output instead of printing it. */
function run(command: string, args: string[], held?: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    child.stdout?.on('data', (chunk: Buffer) => held?.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => held?.push(chunk.toString()));
    child.on('error', (error) => {
      held?.push(`${command}: ${error.message}\n`);
      done(1);
    });
    child.on('close', (code) => done(code ?? 1));
  });
}

/** The tiers whose coverage counts (they run src/ in the mocha process), and the spawned one, which runs the bundle. */
const IN_PROCESS_TIERS = ['build/tests/unit/**/*.test.js', 'build/tests/emulator/**/*.test.js', 'build/tests/inprocess/**/*.test.js'];
const SPAWNED_TIER = ['build/tests/e2e/**/*.test.js'];
const MOCHA = ['--no-config', '--timeout', '60000', '--reporter', 'spec'];

async function main(): Promise<number> {
  // One lane: the type check, lint, then the spawned tier (its child processes run the bundle, which has no
  // source map, so c8 would count nothing of it); its output is held and printed after the other lane's.
  const laneOutput: string[] = [];
  const lint = run(bin('tsc'), ['--noEmit', '-p', '.'], laneOutput)
    .then(async (code) => (code === 0 ? run(bin('eslint'), ['.'], laneOutput) : code))
    .then(async (code) => (code === 0 ? run(bin('prettier'), ['--check', '.'], laneOutput) : code));
  const spawned = lint.then(async () => {
    laneOutput.push('\n> the spawned tier (tests/e2e)\n');
    return run(bin('mocha'), [...MOCHA, ...SPAWNED_TIER], laneOutput);
  });
  // The other lane: c8 writes V8 coverage of the mocha process (and its in-process tiers), reported below.
  const tests = await run(bin('c8'), ['--reporter=none', '--check-coverage=false', bin('mocha'), ...MOCHA, ...IN_PROCESS_TIERS]);
  const [linted, spawnedTier] = [await lint, await spawned];
  process.stdout.write(
    `\n> types and lint (tsc --noEmit, eslint, prettier --check): ${linted === 0 ? 'clean' : 'FAILED'}; spawned tier: ${spawnedTier === 0 ? 'passed' : 'FAILED'}\n${laneOutput.join('')}`,
  );
  process.stdout.write('\n> coverage of src/ (.c8rc.json: statements floor)\n');
  const coverage = await run(bin('c8'), ['report']);
  return [tests, linted, spawnedTier, coverage].find((code) => code !== 0) ?? 0;
}

void main().then((code) => process.exit(code));
