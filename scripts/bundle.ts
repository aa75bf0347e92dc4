/**
 * Bundles the task into dist/WorkloadIdentityConnection/: one CommonJS file, index.js, with every
 * dependency inlined so the folder runs without node_modules, beside task.json and icon.png. task-lib 5
 * embeds its own strings (lib-resource.js) and loads nothing else by path.
 *
 * The Entra, ARM and Azure DevOps client libraries (src/sdk/azure.ts) and the Graph client
 * (src/sdk/graph.ts) are files of their own beside it, which src/clients.ts loads with import() (a require()
 * in CommonJS): a process parses only what the first request needs before sending it, and the
 * managed-identity path never reads the Graph client. All three are plain CommonJS: no loader shims.
 *
 * The version is package.json's, the one place it is set (scripts/version.ts): task.json is copied with
 * its `version` set from it, and src/version.ts gets it through `define`.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageVersion, taskJsonWithVersion } from './version';

const root = resolve(__dirname, '..', '..');
export const TASK_DIR = join(root, 'dist', 'WorkloadIdentityConnection');

async function main(): Promise<void> {
  const version = packageVersion(root);
  rmSync(TASK_DIR, { recursive: true, force: true });
  mkdirSync(TASK_DIR, { recursive: true });
  const result = await build({
    entryPoints: {
      index: join(root, 'src', 'index.ts'),
      'sdk/azure': join(root, 'src', 'sdk', 'azure.ts'),
      'sdk/graph': join(root, 'src', 'sdk', 'graph.ts'),
    },
    // The entries load each other at run time rather than each holding a copy.
    plugins: [
      {
        name: 'sdk-files',
        setup(builder) {
          builder.onResolve({ filter: /^\.\/sdk\/(azure|graph)$/ }, (args) => ({ path: `${args.path}.js`, external: true }));
        },
      },
    ],
    outdir: TASK_DIR,
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
  });
  writeFileSync(join(TASK_DIR, 'task.json'), taskJsonWithVersion(readFileSync(join(root, 'task.json'), 'utf8'), version.task));
  copyFileSync(join(root, 'images', 'icon.png'), join(TASK_DIR, 'icon.png'));
  const inputs = Object.keys(result.metafile.inputs).length;
  const size = (file: string): number => Math.round(statSync(join(TASK_DIR, file)).size / 1024);
  console.log(
    `bundled ${inputs} modules into ${TASK_DIR} (version ${version.text}): index.js ${size('index.js')} KiB, sdk/azure.js ${size('sdk/azure.js')} KiB, sdk/graph.js ${size('sdk/graph.js')} KiB`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
