/**
 * `npm test` after the transpile (`npm run transpile`: esbuild, each file on its own, no type check, under a
 * second, the same transform the bundle ships) and the bundle: the type check and lint side by side with the
 * test tiers, then the coverage of src/ against its floor (.c8rc.json). On this project's 2-core machine tsc,
 * eslint's type-aware pass and mocha each keep one core busy: tsc then eslint on one, mocha on the other, take
 * the longer lane rather than the sum (tsc before the tiers held a core idle for 10 s). Lint's output is held
 * and printed after the tests', the coverage figure last; the exit code is non-zero when any part failed.
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

async function main(): Promise<number> {
  const lintOutput: string[] = [];
  const lint = run(bin('tsc'), ['--noEmit', '-p', '.'], lintOutput)
    .then(async (code) => (code === 0 ? run(bin('eslint'), ['.'], lintOutput) : code))
    .then(async (code) => (code === 0 ? run(bin('prettier'), ['--check', '.'], lintOutput) : code));
  // c8 writes V8 coverage of the mocha process (and its in-process tiers) and reports it below.
  const tests = await run(bin('c8'), ['--reporter=none', '--check-coverage=false', bin('mocha')]);
  const linted = await lint;
  process.stdout.write(`\n> types and lint (tsc --noEmit, eslint, prettier --check): ${linted === 0 ? 'clean' : 'FAILED'}\n${lintOutput.join('')}`);
  process.stdout.write('\n> coverage of src/ (.c8rc.json: statements floor)\n');
  const coverage = await run(bin('c8'), ['report']);
  return tests !== 0 ? tests : linted !== 0 ? linted : coverage;
}

void main().then((code) => process.exit(code));
