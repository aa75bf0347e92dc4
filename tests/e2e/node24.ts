/**
 * A Node 24 binary for running the bundle as a Node24 agent handler would. It comes from the npm
 * registry (package `node`), installed once into .cache/ (git-ignored) and reused afterwards.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const CACHE = resolve(__dirname, '..', '..', '..', '.cache', 'node24');
const BINARY = join(CACHE, 'node_modules', 'node', 'bin', 'node');

export async function node24(): Promise<string> {
  if (!existsSync(BINARY)) {
    mkdirSync(CACHE, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    await promisify(execFile)(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', CACHE, 'node@24'], {
      timeout: 240_000,
    });
  }
  return BINARY;
}
