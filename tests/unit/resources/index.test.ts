/** The list of resources (src/resources/index.ts) that the change set, the dry run and apply come from. */
import { strict as assert } from 'node:assert';
import { KEYS, RESOURCES } from '../../../src/resources';

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
});
