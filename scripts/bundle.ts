/**
 * Bundles the task into dist/WorkloadIdentityConnection/: index.js, with every dependency inlined so the
 * folder runs without node_modules, beside task.json and icon.png. task-lib 5 embeds its own strings
 * (lib-resource.js) and loads nothing else by path.
 *
 * The Entra and ARM client libraries (src/sdk/azure.ts) and the Graph client
 * (src/sdk/graph.ts) are files of their own beside it, which src/clients/ loads with import() (a require()
 * in CommonJS): a process parses only what the first request needs before sending it, and the
 * managed-identity path never reads the Graph client. All three are plain CommonJS: no loader shims.
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
    build({
      ...options,
      entryPoints: {
        index: join(root, 'src', 'index.ts'),
        'sdk/azure': join(root, 'src', 'sdk', 'azure.ts'),
        'sdk/graph': join(root, 'src', 'sdk', 'graph.ts'),
      },
      // The task's entries load each other at run time rather than each holding a copy.
      plugins: [
        {
          name: 'sdk-files',
          setup(builder) {
            // src/clients/ imports '../sdk/azure'; in the bundle, index.js sits beside sdk/.
            builder.onResolve({ filter: /^\.\.\/sdk\/(azure|graph)$/ }, (args) => ({ path: `${args.path.slice(1)}.js`, external: true }));
          },
        },
      ],
      outdir: TASK_DIR,
    }),
    // The command line is one file: it is installed on its own, and a terminal's start-up matters less.
    build({ ...options, entryPoints: [join(root, 'src', 'cli.ts')], outfile: CLI_FILE, banner: { js: '#!/usr/bin/env node' } }),
  ]);
  chmodSync(CLI_FILE, 0o755);
  writeFileSync(join(TASK_DIR, 'task.json'), taskJsonWithVersion(readFileSync(join(root, 'task.json'), 'utf8'), version.task));
  copyFileSync(join(root, 'images', 'icon.png'), join(TASK_DIR, 'icon.png'));
  const inputs = Object.keys(result.metafile.inputs).length;
  const size = (file: string): number => Math.round(statSync(join(TASK_DIR, file)).size / 1024);
  console.log(
    `bundled ${inputs} modules into ${TASK_DIR} (version ${version.text}): index.js ${size('index.js')} KiB, sdk/azure.js ${size('sdk/azure.js')} KiB, sdk/graph.js ${size('sdk/graph.js')} KiB`,
  );
  console.log(`bundled the command line into ${CLI_FILE}: ${Math.round(statSync(CLI_FILE).size / 1024)} KiB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
