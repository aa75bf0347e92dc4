/**
 * One version, set in package.json: the tracked task.json and vss-extension.json carry the same number
 * (`npm version` brings them along), the build writes it into the shipped task.json, tfx into the .vsix,
 * and the task's user agent reads it (src/version.ts).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VERSION } from '../../src/version';
import { parseArgs } from '../../scripts/package';
import { extensionJsonWithVersion, packageVersion, taskJsonWithVersion } from '../../scripts/version';

const ROOT = resolve(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

describe('the version', () => {
  const { text, task } = packageVersion(ROOT);

  it("task.json's and vss-extension.json's are package.json's (npm version patch|minor|major keeps them so)", () => {
    assert.deepEqual((JSON.parse(read('task.json')) as { version: unknown }).version, task, 'task.json version: run node build/scripts/version.js --write');
    assert.equal(
      (JSON.parse(read('vss-extension.json')) as { version: unknown }).version,
      text,
      'vss-extension.json version: run node build/scripts/version.js --write',
    );
    assert.equal(`${task.Major}.${task.Minor}.${task.Patch}`, text);
  });

  it('is what the task reports in its user agent', () => {
    assert.equal(VERSION, text);
  });

  it('is written into task.json with nothing else changed', () => {
    const original = read('task.json');
    assert.equal(taskJsonWithVersion(original, task), original, 'in step: the same bytes');
    const bumped = JSON.parse(taskJsonWithVersion(original, { Major: 1, Minor: 4, Patch: 2 })) as Record<string, unknown>;
    assert.deepEqual(bumped.version, { Major: 1, Minor: 4, Patch: 2 });
    assert.deepEqual({ ...bumped, version: task }, JSON.parse(original));
    assert.deepEqual(Object.keys(bumped), Object.keys(JSON.parse(original) as object), 'keys keep their order');
    assert.equal((JSON.parse(extensionJsonWithVersion(read('vss-extension.json'), '1.4.2')) as { version: string }).version, '1.4.2');
  });
});

describe('npm run package arguments', () => {
  it('takes a publisher and an output folder, in either form', () => {
    assert.deepEqual(parseArgs([]), {});
    assert.deepEqual(parseArgs(['--publisher', 'contoso-platform']), { publisher: 'contoso-platform' });
    assert.deepEqual(parseArgs(['--publisher=contoso-platform', '--output-path', 'out']), { publisher: 'contoso-platform', outputPath: 'out' });
  });

  it('refuses what tfx or the Marketplace would refuse later', () => {
    assert.throws(() => parseArgs(['--publisher']), /--publisher needs a value/);
    assert.throws(() => parseArgs(['--publisher', '--output-path', 'x']), /--publisher needs a value/);
    assert.throws(() => parseArgs(['--publisher', 'contoso platform']), /is not a Marketplace publisher id/);
    assert.throws(() => parseArgs(['--rev-version']), /unknown argument '--rev-version'/);
  });
});
