/**
 * Markdown that renders a value as the value: every name, id, warning or failure line from a user or a
 * service goes through `text` or `code`, so that none can open a link, an image, HTML, emphasis, a heading or
 * a new table cell, in the renderers the summary meets: Azure DevOps' (markdown-it, with linkify) on the run's
 * Extensions tab, GitHub's (cmark-gfm, with autolinks) for $GITHUB_STEP_SUMMARY, and any viewer of `--summary`.
 * Links are made by `link` alone, from URLs the caller built from validated ids (src/portalLinks.ts).
 */

/** Control characters and line breaks: a value is one line of the summary. */
// eslint-disable-next-line no-control-regex -- a value must not carry a line break or a terminal sequence into the file
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

function oneLineOf(value: string): string {
  return value.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * A value as plain text: HTML's `&`, `<` and `>` as entities (no tag, no autolink `<…>`), the characters
 * that make emphasis, links, images, code, headings and table cells backslash-escaped (CommonMark: any
 * ASCII punctuation may be), and what linkify or GFM autolinks would take for a link cut where a backslash
 * escape splits the text: `.` before a letter or digit (`evil.com`, `www.x`), `:` before `/` (`https://`),
 * and `@` (addresses).
 */
export function text(value: string): string {
  return oneLineOf(value)
    .replace(/[\\`*_{}[\]()#+!|~^-]/g, (character) => `\\${character}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\.(?=[A-Za-z0-9])/g, '\\.')
    .replace(/:(?=\/)/g, '\\:')
    .replace(/@/g, '\\@');
}

/**
 * A value as a code span, for ids, issuers, subjects and output values: never a link nor HTML in any
 * renderer. Its fence is longer than any run of backticks in it (CommonMark 6.1), padded when it starts
 * or ends with one; a `|` is escaped, since a GFM table splits cells on it even inside a code span (GFM
 * 0.29 "Tables"), at the price of showing as `\|` in a code span outside a table.
 */
export function code(value: string): string {
  const one = oneLineOf(value).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(one.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}

/**
 * A link whose label is text and whose target is a URL this task built. The target goes between angle
 * brackets (CommonMark 6.3: a destination in `<…>` may hold parentheses, as ARM names may); one holding a
 * space, `<`, `>` or a line break is refused and the label stays plain text.
 */
export function link(label: string, url: string | undefined): string {
  if (!url || !/^https:\/\/[^\s<>\\]+$/.test(url)) return text(label);
  return `[${text(label)}](<${url}>)`;
}

/** A GFM table: a header row, the separator, a row each. Cells are Markdown already (text, code or link). */
export function table(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)];
}
