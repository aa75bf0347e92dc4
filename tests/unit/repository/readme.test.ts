/**
 * README.md against task.json, the hint table and the picture of a run: every input and output documented,
 * nothing that does not exist, a troubleshooting row for every hint, and a newcomer's way in (issue 23).
 */
import { strict as assert } from 'node:assert';
import { HINT_CODES } from '../../../src/errors';
import { read, task } from './files';

const inputNames = task.inputs.map((i) => i.name);

describe('README', () => {
  const readme = read('README.md');
  /** The README without its fenced blocks, where `#` starts a comment, not a heading. */
  const prose = readme.replace(/^```[\s\S]*?^```/gm, '');

  /** The text under a heading, up to the next heading of the same level or higher. */
  function section(heading: string): string {
    const match = new RegExp(`^(#+) ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`, 'm').exec(prose);
    assert.ok(match, `the README has a section '${heading}'`);
    const rest = prose.slice(match.index + match[0].length);
    const next = new RegExp(`^#{1,${match[1].length}} `, 'm').exec(rest);
    return next ? rest.slice(0, next.index) : rest;
  }

  /** The first-column names of the table under a heading, up to the next heading of any level. */
  function tableNames(heading: string): string[] {
    const own = prose.split(/^#+ /m).find((s) => s.startsWith(`${heading}\n`));
    assert.ok(own, `the README has a section '${heading}'`);
    return own
      .split('\n')
      .filter((line) => /^\|\s*`[^`]+`/.test(line))
      .map((line) => /^\|\s*`([^`]+)`/.exec(line)![1]);
  }

  /** The code spans of each table row's first cell in a text. */
  function firstCells(text: string): string[][] {
    return text
      .split('\n')
      .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line))
      .map((line) => line.split(/(?<!\\)\|/)[1] ?? '')
      .map((cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]).concat(/any other/.test(cell) ? [''] : []));
  }

  /** GitHub's anchor for a heading: lower case, punctuation but hyphens dropped, spaces as hyphens. */
  const slug = (heading: string): string =>
    heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
  const headings = [...prose.matchAll(/^(#+) (.+)$/gm)].map((m) => ({ level: m[1].length, text: m[2] }));

  it('documents every input in its Inputs table, and no input that does not exist', () => {
    assert.deepEqual(tableNames('Inputs').sort(), [...inputNames].sort());
  });

  it('documents every output variable in its Outputs table, and no other', () => {
    assert.deepEqual(tableNames('Outputs').sort(), task.outputVariables.map((o) => o.name).sort());
  });

  it('opens with the two commands, then a table of contents naming every section, in order', () => {
    assert.match(readme, /^# Workload Identity Connection\n\n```sh\nnpm ci && npm run demo\b[^\n]*\nnpm test\b[^\n]*\n```\n\n\*\*Contents\*\*\n/);
    const contents = /\*\*Contents\*\*\n\n([\s\S]*?)\n\n/.exec(readme)![1];
    const listed = [...contents.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    const sections = headings.filter((h) => h.level === 2).map((h) => slug(h.text));
    assert.deepEqual(
      listed.filter((anchor) => sections.includes(anchor)),
      sections,
    );
    // A newcomer's order (issue 23): what it does, a picture, getting started, use, install, permissions,
    // troubleshooting, then what developers need.
    assert.deepEqual(sections, [
      'what-it-does',
      'a-run-in-a-picture',
      'getting-started',
      'use',
      'install-in-your-organization',
      'permissions',
      'troubleshooting',
      'performance',
      'how-it-is-tested-without-azure',
      'develop',
    ]);
  });

  it('links only to headings it has', () => {
    const anchors = new Set(headings.map((h) => slug(h.text)));
    for (const [, anchor] of readme.matchAll(/\]\(#([^)]+)\)/g)) assert.ok(anchors.has(anchor), `a heading for the link #${anchor}`);
  });

  it('has a troubleshooting row for every code of the hint table (src/errors.ts)', () => {
    const verification = firstCells(section('Verification failures')).flat();
    const others = firstCells(section('Troubleshooting').replace(section('Verification failures'), '')).flat();
    for (const code of HINT_CODES) {
      if (code.startsWith('verify:')) assert.ok(verification.includes(code.slice('verify:'.length)), `a Verification failures row for '${code}'`);
      else assert.ok(others.includes(code), `a Troubleshooting row for '${code}'`);
    }
  });

  it('draws the run in Mermaid with the steps of images/run.svg, in its order', () => {
    const mermaid = /```mermaid\nflowchart [\s\S]*?```/.exec(readme)?.[0];
    assert.ok(mermaid, 'a Mermaid flowchart');
    const drawn = [...mermaid.matchAll(/\["<b>([^<]+)<\/b><br\/>([^"]+)"\]/g)].map((m) => `${m[1]}: ${m[2]}`);
    const svg = read('images/run.svg');
    // Each box of the picture: its bold title, then its lines of text up to the next title.
    const texts = [...svg.matchAll(/<text x="[\d.]+" y="(\d+)"( font-weight="bold")?>([^<]+)<\/text>/g)];
    const boxes: string[] = [];
    for (const [, , bold, words] of texts) {
      if (bold) boxes.push(`${words}:`);
      else boxes[boxes.length - 1] += ` ${words}`;
    }
    assert.equal(boxes.length, 6, 'six boxes in the picture');
    assert.deepEqual(drawn, boxes);
    const caption = /<text [^>]*fill="#444">([^<]+)<\/text>/.exec(svg)![1];
    assert.ok(section('A run, in a picture').replace(/\s+/g, ' ').includes(caption), "the picture's caption under the Mermaid");
  });
});
