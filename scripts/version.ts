/**
 * The version lives in one place: package.json `version`. The task's version (task.json `version`, what
 * the agent downloads) and the extension's (vss-extension.json `version`, what the Marketplace shows) are
 * the same number:
 *
 * - the build writes it into dist/WorkloadIdentityConnection/task.json (scripts/bundle.ts), and the .vsix
 *   gets it through tfx's `--override` (scripts/package.ts), whatever the tracked files say;
 * - the tracked task.json and vss-extension.json carry it too, so that they stay valid on their own (the
 *   task.json schema and tfx want one); tests/unit/scripts/version.test.ts fails when they drift, and
 *   `npm version patch|minor|major` runs `node build/scripts/version.js --write` (the `version` script of
 *   package.json) to bring them along in the same commit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface TaskVersion {
  Major: number;
  Minor: number;
  Patch: number;
}

/** package.json `version`, which must be major.minor.patch: task.json cannot express a prerelease. */
export function packageVersion(root = ROOT): { text: string; task: TaskVersion } {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version ?? '');
  if (!match) throw new Error(`package.json version '${version}' is not major.minor.patch (task.json and the Marketplace allow nothing else)`);
  return { text: version as string, task: { Major: Number(match[1]), Minor: Number(match[2]), Patch: Number(match[3]) } };
}

/** task.json's text with its `version` set to package.json's, all else as it was. */
export function taskJsonWithVersion(text: string, version: TaskVersion): string {
  const task = JSON.parse(text) as { version: TaskVersion };
  task.version = { Major: version.Major, Minor: version.Minor, Patch: version.Patch };
  return `${JSON.stringify(task, null, 2)}\n`;
}

/** vss-extension.json's text with its `version` set to package.json's. */
export function extensionJsonWithVersion(text: string, version: string): string {
  const extension = JSON.parse(text) as { version: string };
  extension.version = version;
  return `${JSON.stringify(extension, null, 2)}\n`;
}

/** `--write`: brings the tracked task.json and vss-extension.json to package.json's version. */
function write(): void {
  const { text, task } = packageVersion();
  const taskFile = join(ROOT, 'task.json');
  const extensionFile = join(ROOT, 'vss-extension.json');
  writeFileSync(taskFile, taskJsonWithVersion(readFileSync(taskFile, 'utf8'), task));
  writeFileSync(extensionFile, extensionJsonWithVersion(readFileSync(extensionFile, 'utf8'), text));
  console.log(`task.json and vss-extension.json are at version ${text}`);
}

if (require.main === module) {
  if (process.argv.slice(2).join(' ') === '--write') write();
  else console.log(packageVersion().text);
}
