/**
 * Bundles the task into dist/WorkloadIdentityConnection/: index.js and its chunks (every dependency
 * inlined, so the folder runs without node_modules), task.json and icon.png. task-lib 5 embeds its own
 * strings (lib-resource.js) and loads nothing else by path; the task's messages come from task.json beside
 * index.js.
 *
 * The bundle is an ES module split into chunks: a process parses only the code its path loads, so the
 * Entra, ARM and Graph clients (most of the code) are read after the first requests have left, and the
 * managed-identity path never reads the Graph client at all. A single CommonJS file would be parsed whole
 * before the first line runs. package.json beside index.js tells Node the files are ES modules.
 *
 * The version is package.json's, the one place it is set (scripts/version.ts): task.json is copied with
 * its `version` set from it, and src/version.ts gets it through `define`.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageVersion, taskJsonWithVersion } from './version';

const root = resolve(__dirname, '..', '..');
export const TASK_DIR = join(root, 'dist', 'WorkloadIdentityConnection');

async function main(): Promise<void> {
  const version = packageVersion(root);
  rmSync(TASK_DIR, { recursive: true, force: true });
  mkdirSync(TASK_DIR, { recursive: true });
  const result = await build({
    entryPoints: { index: join(root, 'src', 'index.ts') },
    outdir: TASK_DIR,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    // Prefer each package's ES module build: a CommonJS package loaded with import() reaches the chunk only
    // as a default export, without its named ones (@azure/arm-authorization 9 publishes both builds).
    mainFields: ['module', 'main'],
    define: { WIC_PACKAGE_VERSION: JSON.stringify(version.text) },
    // The bundled CommonJS packages call require() and read __dirname; in an ES module these come from
    // import.meta.url (each chunk gets its own).
    banner: {
      js: [
        "import { createRequire as __wicRequire } from 'node:module';",
        "import { fileURLToPath as __wicFileURLToPath } from 'node:url';",
        "import { dirname as __wicDirname } from 'node:path';",
        'const require = __wicRequire(import.meta.url);',
        'const __filename = __wicFileURLToPath(import.meta.url);',
        'const __dirname = __wicDirname(__filename);',
      ].join(' '),
    },
    minify: !process.env.WIC_NO_MINIFY,
    // Class names stay readable in the rare unexpected-failure stack trace.
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(join(TASK_DIR, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
  writeFileSync(join(TASK_DIR, 'task.json'), taskJsonWithVersion(readFileSync(join(root, 'task.json'), 'utf8'), version.task));
  copyFileSync(join(root, 'images', 'icon.png'), join(TASK_DIR, 'icon.png'));
  const inputs = Object.keys(result.metafile.inputs).length;
  const entry = statSync(join(TASK_DIR, 'index.js')).size;
  const chunks = readdirSync(join(TASK_DIR, 'chunks')).map((file) => statSync(join(TASK_DIR, 'chunks', file)).size);
  const total = entry + chunks.reduce((sum, size) => sum + size, 0);
  console.log(
    `bundled ${inputs} modules into ${TASK_DIR} (version ${version.text}): index.js ${Math.round(entry / 1024)} KiB + ${chunks.length} chunks, ${Math.round(total / 1024)} KiB in all`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
