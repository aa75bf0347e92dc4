/**
 * Bundles the task into dist/WorkloadIdentityConnection/: index.js (every dependency inlined, so the
 * folder runs without node_modules), task.json and icon.png. task-lib 5 embeds its own strings
 * (lib-resource.js) and loads nothing else by path; the task's messages come from task.json beside
 * index.js.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
export const TASK_DIR = join(root, 'dist', 'WorkloadIdentityConnection');

async function main(): Promise<void> {
  rmSync(TASK_DIR, { recursive: true, force: true });
  mkdirSync(TASK_DIR, { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'src', 'index.ts')],
    outfile: join(TASK_DIR, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    // Class names stay readable in the rare unexpected-failure stack trace.
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'task.json'), join(TASK_DIR, 'task.json'));
  copyFileSync(join(root, 'images', 'icon.png'), join(TASK_DIR, 'icon.png'));
  const inputs = Object.keys(result.metafile.inputs).length;
  const size = statSync(join(TASK_DIR, 'index.js')).size;
  console.log(`bundled ${inputs} modules into ${TASK_DIR}/index.js (${Math.round(size / 1024)} KiB)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
