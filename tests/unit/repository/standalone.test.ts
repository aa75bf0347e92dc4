/**
 * A clone of this repository is all a stranger has: every file the tests, docs and comments cite lives in
 * it (docs/wire.md, tests/fixtures/, tests/schemas/), and nothing points at a folder beside it.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './files';

const SKIPPED = new Set(['.git', 'node_modules', 'build', 'dist', '.emulator', '.cache', 'package-lock.json']);
const TEXT = /\.(ts|js|md|json|ya?ml|txt)$/;
/**
 * src/ still cites the wire facts and contracts by their old, bare names; it is being rewritten beside this
 * change. Remove it from here once it names docs/wire.md and tests/fixtures/contracts/.
 */
const BARE_NAMES_PENDING: string[] = [];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : TEXT.test(entry.name) ? [path] : [];
  });
}

const texts = files(ROOT).map((path) => ({ file: relative(ROOT, path).split('\\').join('/'), text: readFileSync(path, 'utf8') }));

function offenders(pattern: RegExp, skip: readonly string[] = []): string[] {
  return texts
    .filter(({ file }) => !skip.some((prefix) => file.startsWith(prefix)))
    .flatMap(({ file, text }) => text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])));
}

describe('the repository stands alone', () => {
  it('refers to no folder outside it', () => {
    assert.deepEqual(offenders(/\.\.\/shared\b|\/work\/(shared|main)\b/), []);
  });

  it('names the wire facts, contracts and recordings where they live in it', () => {
    // tests/fixtures/ itself names its files relative to its own folders.
    assert.deepEqual(offenders(/\bWIRE\.md\b|(?<![\w./-])(contracts|recordings)\//, ['tests/fixtures/', ...BARE_NAMES_PENDING]), []);
  });

  it('holds every docs/ and tests/fixtures/ path it cites', () => {
    // The recorded and upstream .json files cite paths in other repositories.
    const citing = texts.filter(({ file }) => !/^tests\/fixtures\/.*\.json$/.test(file));
    const cited = new Set(citing.flatMap(({ text }) => [...text.matchAll(/(?<![\w./-])(?:docs|tests\/fixtures)\/[\w./-]*[\w/]/g)].map(([path]) => path)));
    assert.ok(cited.has('docs/wire.md'));
    assert.deepEqual(
      [...cited].filter((path) => !path.includes('...') && !existsSync(join(ROOT, path))),
      [],
    );
  });

  it('holds the contracts and recordings as JSON that parses (a UTF-8 byte-order mark stripped)', () => {
    const json = texts.filter(({ file }) => /^tests\/fixtures\/(contracts|recordings)\/.*\.json$/.test(file));
    assert.ok(json.length > 60, `${json.length} files`);
    for (const { file, text } of json) assert.doesNotThrow(() => JSON.parse(text.replace(/^\uFEFF/, '')), file);
  });
});
