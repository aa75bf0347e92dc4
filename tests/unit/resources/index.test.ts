/** The list of resources (src/resources/index.ts) that the change set, the dry run and apply come from. */
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS, RESOURCES } from '../../../src/resources';

/** The compiled modules of src/resources/ (this file runs from build/tests/unit/resources/). */
const MODULES = join(__dirname, '..', '..', '..', 'src', 'resources');

describe('the list of resources', () => {
  it('is the order of the change set: the identity, its role assignments, the connection, then what hangs on the connection', () => {
    assert.deepEqual(KEYS, [
      'managedIdentity',
      'application',
      'servicePrincipal',
      'assignments',
      'connection',
      'credential',
      'pipelinePermissions',
      'sharing',
      'checks',
    ]);
  });

  it('lets a write wait only for writes before it in the change set, so apply has no cycle', () => {
    KEYS.forEach((key, index) => {
      for (const before of RESOURCES[key].after) assert.ok(KEYS.indexOf(before) < index, `${key} waits for ${before}, which comes later`);
    });
  });

  it('keeps the critical path: identity, connection, then the rest; a service principal and its role assignments beside the connection', () => {
    const depth = (key: (typeof KEYS)[number]): number => Math.max(0, ...RESOURCES[key].after.map((before) => depth(before) + 1));
    assert.deepEqual(Object.fromEntries(KEYS.map((key) => [key, depth(key)])), {
      managedIdentity: 0,
      application: 0,
      servicePrincipal: 1,
      assignments: 2,
      connection: 1,
      credential: 2,
      pipelinePermissions: 2,
      sharing: 2,
      checks: 2,
    });
  });

  it('has a line for every module that decides an entry of the change set (README, Adding a resource)', () => {
    const listed = new Set<unknown>(KEYS.map((key) => RESOURCES[key].decide));
    const modules = readdirSync(MODULES).filter((file) => file.endsWith('.js') && file !== 'index.js');
    assert.ok(modules.length > 10);
    for (const file of modules) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = require(join(MODULES, file)) as { decide?: unknown; apply?: unknown };
      if (exported.decide || exported.apply)
        assert.ok(listed.has(exported.decide), `src/resources/${file.replace(/\.js$/, '.ts')} decides an entry but has no line in the list`);
    }
  });
});
