/**
 * A Node 24 binary for running the bundle as a Node24 agent handler would: one pinned version from the npm
 * registry (package `node`), installed once into .cache/node-<version>/ (git-ignored) and reused by every
 * later run without the network. Raise NODE_24 to move to a newer 24.x (`npm view node@24 version`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const NODE_24 = '24.21.0';

const CACHE = resolve(__dirname, '..', '..', '..', '.cache', `node-${NODE_24}`);
const BINARY = join(CACHE, 'node_modules', 'node', 'bin', 'node');

let installing: Promise<string> | undefined;

/** The path of the pinned Node 24 binary, installing it first when the cache does not hold it. */
export function node24(): Promise<string> {
  installing ??= install().catch((error: unknown) => {
    installing = undefined;
    throw error;
  });
  return installing;
}

async function install(): Promise<string> {
  if (existsSync(BINARY)) return BINARY;
  // Installed beside the cache and moved into place whole, so an interrupted install is never taken for a cached one.
  const staging = `${CACHE}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await promisify(execFile)(npm, ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', staging, `node@${NODE_24}`], {
      timeout: 240_000,
    });
    const { stdout } = await promisify(execFile)(join(staging, 'node_modules', 'node', 'bin', 'node'), ['--version']);
    if (stdout.trim() !== `v${NODE_24}`) throw new Error(`the installed binary reports ${stdout.trim()}`);
    rmSync(CACHE, { recursive: true, force: true });
    renameSync(staging, CACHE);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const detail = (error as { stderr?: string; message?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `Could not install Node ${NODE_24} (npm install node@${NODE_24} into ${CACHE}), which the Node 24 tests run the bundle with: ${detail}. ` +
        'Check the network or the npm registry settings, or place that version there by hand.',
    );
  }
  return BINARY;
}
