/**
 * One version, set in package.json: the tracked task.json and vss-extension.json carry the same number
 * (`npm version` brings them along, scripts/version.ts), the build writes it into the shipped task.json and
 * tfx into the .vsix.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { extensionJsonWithVersion, packageVersion, taskJsonWithVersion } from '../../../scripts/version';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
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
