/** The version the task reports in its user agent (src/version.ts) is package.json's. */
import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { VERSION } from '../../src/version';
import { packageVersion } from '../../scripts/version';

const ROOT = resolve(__dirname, '..', '..', '..');

describe('the version', () => {
  const { text } = packageVersion(ROOT);

  it('is what the task reports in its user agent', () => {
    assert.equal(VERSION, text);
  });
});
