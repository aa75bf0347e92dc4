/** The application's federated credential: src/resources/applicationCredential.ts's converters. */
import { strict as assert } from 'node:assert';
import * as applicationCredential from '../../../src/resources/applicationCredential';
import { trusts } from '../../../src/resources/federatedCredential';
import { object, recording } from '../recorded';

describe('application federated credential converters', () => {
  const desired = { applicationId: 'o', applicationName: 'app', name: 'azure-devops-x', issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X' };

  it('write the issuer and subject as given with the token exchange audience; the name travels in the URL', () => {
    assert.deepEqual(applicationCredential.toWire(desired), {
      issuer: 'https://issuer/v2.0',
      subject: '/eid1/sc/Org/X',
      audiences: ['api://AzureADTokenExchange'],
    });
  });

  it("read Graph's credential into the model the managed identity path uses, matched case-sensitively", () => {
    const read = applicationCredential.fromWire({ id: 'i', name: 'azure-devops-x', description: null, ...applicationCredential.toWire(desired) });
    assert.deepEqual(read, { name: 'azure-devops-x', issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X', audiences: ['api://AzureADTokenExchange'] });
    assert.ok(trusts(read, desired));
    assert.ok(!trusts({ ...read, subject: '/eid1/sc/org/x' }, desired));
  });
});

describe('recorded application credentials (tests/fixtures/recordings/)', () => {
  it('graph-app-fic-post-list-patch-delete', () => {
    const exchanges = recording('graph-app-fic-post-list-patch-delete').exchanges as Array<{ method: string; body?: unknown }>;
    const created = applicationCredential.fromWire(object(exchanges[0].body));
    assert.equal(created.name, 'Testing');
    assert.deepEqual(created.audiences, ['api://AzureADTokenExchange']);
    const list = exchanges.find((e) => e.method === 'GET' && Array.isArray(object(e.body).value));
    if (list) assert.ok((object(list.body).value as unknown[]).map((c) => applicationCredential.fromWire(object(c))).every((c) => c.name));
  });
});
