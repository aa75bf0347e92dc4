/**
 * `npm run package [-- --publisher <id>] [--output-path <folder>]`: the .vsix, built with tfx-cli from the
 * bundle in dist/ (`npm run package` builds first).
 *
 * - The extension's version comes from package.json (tfx `--override`), like the task's (scripts/bundle.ts).
 * - `--publisher` builds it under your own Marketplace publisher instead of vss-extension.json's, so
 *   anyone can publish and share it privately without editing a tracked file (README, "Install in your
 *   organization"). Nothing in the repository is written: the .vsix goes to dist/ (or --output-path).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { packageVersion } from './version';

const ROOT = resolve(__dirname, '..', '..');
const TFX = join(dirname(require.resolve('tfx-cli/package.json')), '_build', 'tfx-cli.js');
/** The Marketplace's rule for a publisher id (vss-extension.json schema). */
const PUBLISHER = /^[a-zA-Z0-9][a-zA-Z0-9-]+$/;

export interface PackageOptions {
  /** Marketplace publisher id; vss-extension.json's when absent. */
  publisher?: string;
  /** Folder for the .vsix; dist/ when absent. */
  outputPath?: string;
}

/** Parses `--publisher <id>` / `--publisher=<id>` and `--output-path <folder>`; refuses anything else. */
export function parseArgs(argv: readonly string[]): PackageOptions {
  const options: PackageOptions = {};
  const names: Record<string, keyof PackageOptions> = { '--publisher': 'publisher', '--output-path': 'outputPath' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const name = names[flag];
    if (!name) throw new Error(`unknown argument '${argv[i]}'; usage: npm run package -- [--publisher <id>] [--output-path <folder>]`);
    const value = inline ?? argv[++i];
    if (!value || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    options[name] = value;
  }
  if (options.publisher !== undefined && !PUBLISHER.test(options.publisher)) {
    throw new Error(`--publisher '${options.publisher}' is not a Marketplace publisher id (letters, digits and '-', at least two characters)`);
  }
  return options;
}

/** Runs tfx and returns the path of the .vsix it wrote. */
export function createVsix(options: PackageOptions = {}): string {
  const output = resolve(ROOT, options.outputPath ?? 'dist');
  mkdirSync(output, { recursive: true });
  const { text: version } = packageVersion(ROOT);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'vss-extension.json'), 'utf8')) as { id: string; publisher: string };
  const publisher = options.publisher ?? manifest.publisher;
  const args = [TFX, 'extension', 'create', '--root', ROOT, '--manifest-globs', 'vss-extension.json', '--output-path', output, '--no-prompt', '--no-color'];
  args.push('--override', JSON.stringify({ version }));
  if (options.publisher) args.push('--publisher', options.publisher);
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // tfx names the file <publisher>.<extension id>-<version>.vsix.
  const vsix = join(output, `${publisher}.${manifest.id}-${version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`tfx did not write ${vsix}`);
  return vsix;
}

if (require.main === module) {
  try {
    const vsix = createVsix(parseArgs(process.argv.slice(2)));
    console.log(`${vsix} (${Math.round(statSync(vsix).size / 1024)} KiB)`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
