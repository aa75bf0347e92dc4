/**
 * The task's version, for the user agent. package.json is the one place it is set (scripts/version.ts):
 * the bundle gets it from esbuild's `define` (scripts/bundle.ts), so index.js carries the number and nothing
 * else of package.json; compiled by tsc alone (unit tests), it is read from the repository's package.json.
 *
 * Not `import { version } from '../package.json'`: tsc would copy package.json into build/, and the e2e
 * harness, which looks upward for the repository's package.json, would take build/ for the repository.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

declare const WIC_PACKAGE_VERSION: string | undefined;

export const VERSION: string =
  typeof WIC_PACKAGE_VERSION === 'string'
    ? WIC_PACKAGE_VERSION
    : (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
