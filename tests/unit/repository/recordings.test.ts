/**
 * tests/fixtures/recordings/: every recorded body is read, as the service sent it, by the unit test of the
 * module that parses it (`recording('<name>')`, tests/unit/recorded.ts), or says why not. This check spans
 * the modules, so it lives beside the fixtures' other checks rather than in one module's file.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RECORDINGS } from '../recorded';

const UNIT = resolve(__dirname, '..', '..', '..', '..', 'tests', 'unit');

/** Recordings that are notes, not bodies the task parses. */
const NOT_PARSED: Record<string, string> = {
  'graph-upsert-docs-notes': 'documentation notes on Prefer: create-if-missing (201 with a body, 204 without): the upsert reads a 204 by a GET',
};

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('recorded bodies (tests/fixtures/recordings/)', () => {
  it('every recording is parsed by a unit test or says why not', () => {
    const read = new Set(testFiles(UNIT).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\brecording\('([^']+)'\)/g)].map(([, name]) => name)));
    const files = readdirSync(RECORDINGS)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    assert.deepEqual(
      files.filter((f) => !read.has(f) && !NOT_PARSED[f]),
      [],
    );
  });
});
