/**
 * Bundles the task into dist/WorkloadIdentityConnection/: one CommonJS file, index.js, with every
 * dependency inlined so the folder runs without node_modules, beside task.json and icon.png. task-lib 5
 * embeds its own strings (lib-resource.js) and loads nothing else by path.
 *
 * The Entra, ARM, Graph and Azure DevOps clients are reached through import(), which esbuild turns into
 * lazily evaluated modules of the same file: a run evaluates only the code its path needs (the
 * managed-identity path never evaluates the Graph client), and one file needs no loader shims.
 *
 * The command line (src/cli.ts, package.json `bin`) is bundled the same way into dist/cli/, one file with a
 * shebang that runs without node_modules: the installed package carries nothing else.
 *
 * The version is package.json's, the one place it is set (scripts/version.ts): task.json is copied with
 * its `version` set from it, and src/version.ts gets it through `define`.
 */
import { build, type BuildOptions } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageVersion, taskJsonWithVersion } from './version';

const root = resolve(__dirname, '..', '..');
export const TASK_DIR = join(root, 'dist', 'WorkloadIdentityConnection');
export const CLI_DIR = join(root, 'dist', 'cli');
/** package.json `bin` points here. */
export const CLI_FILE = join(CLI_DIR, 'workload-identity-connection.js');

async function main(): Promise<void> {
  const version = packageVersion(root);
  rmSync(TASK_DIR, { recursive: true, force: true });
  mkdirSync(TASK_DIR, { recursive: true });
  rmSync(CLI_DIR, { recursive: true, force: true });
  const options = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Each package's ES module build where it has one: smaller than its CommonJS build, and esbuild
    // converts it (@azure/* publish both).
    mainFields: ['module', 'main'],
    define: { WIC_PACKAGE_VERSION: JSON.stringify(version.text) },
    minify: !process.env.WIC_NO_MINIFY,
    // Class names stay readable in the rare unexpected-failure stack trace.
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  } satisfies BuildOptions;
  const [result] = await Promise.all([
    build({ ...options, entryPoints: { index: join(root, 'src', 'index.ts') }, outdir: TASK_DIR }),
    build({ ...options, entryPoints: [join(root, 'src', 'cli.ts')], outfile: CLI_FILE, banner: { js: '#!/usr/bin/env node' } }),
  ]);
  chmodSync(CLI_FILE, 0o755);
  writeFileSync(join(TASK_DIR, 'task.json'), taskJsonWithVersion(readFileSync(join(root, 'task.json'), 'utf8'), version.task));
  copyFileSync(join(root, 'images', 'icon.png'), join(TASK_DIR, 'icon.png'));
  const inputs = Object.keys(result.metafile.inputs).length;
  const entry = statSync(join(TASK_DIR, 'index.js')).size;
  console.log(`bundled ${inputs} modules into ${TASK_DIR} (version ${version.text}): index.js ${Math.round(entry / 1024)} KiB`);
  console.log(`bundled the command line into ${CLI_FILE}: ${Math.round(statSync(CLI_FILE).size / 1024)} KiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
