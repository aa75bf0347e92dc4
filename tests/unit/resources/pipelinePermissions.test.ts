import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import * as permissions from '../../../src/resources/pipelinePermissions';
import { observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';
import { object, recording } from '../recorded';

/** The body of tests/fixtures/contracts/ado-pipelinepermissions-7.2 GET__GetPipelinePermissionsForResource.json, abridged. */
const PUBLISHED_GET = {
  resource: { type: 'queue', id: '1' },
  pipelines: [
    {
      id: 6,
      authorized: true,
      authorizedBy: { displayName: 'User Name', id: '3b3db741-9d03-4e32-a7c0-6c3dfc2013c1' },
      authorizedOn: '2020-01-02T08:59:48.77Z',
    },
    { id: 15, authorized: true, authorizedOn: '2020-11-19T08:14:49.26Z' },
  ],
};

describe('pipeline permissions converters', () => {
  it('read the published answer: the pipelines authorized one by one, open access off when absent', () => {
    assert.deepEqual(permissions.fromWire(PUBLISHED_GET), { allPipelines: false, pipelineIds: [6, 15] });
  });

  it('read open access, and tolerate an empty or null answer', () => {
    assert.deepEqual(permissions.fromWire({ allPipelines: { authorized: true }, pipelines: null }), { allPipelines: true, pipelineIds: [] });
    assert.deepEqual(permissions.fromWire(undefined), { allPipelines: false, pipelineIds: [] });
    assert.deepEqual(permissions.fromWire({ pipelines: [{ id: 3, authorized: false }] }).pipelineIds, [], 'a revoked pipeline is not authorized');
  });

  it('add only what is not there, and nothing when all is', () => {
    const current = { allPipelines: false, pipelineIds: [6, 15] };
    assert.deepEqual(permissions.toAdd(current, { allPipelines: true, pipelineIds: [15, 16] }), { allPipelines: true, pipelineIds: [16] });
    assert.ok(permissions.isEmpty(permissions.toAdd(current, { allPipelines: false, pipelineIds: [6] })));
    assert.ok(permissions.isEmpty(permissions.toAdd({ allPipelines: true, pipelineIds: [] }, { allPipelines: true, pipelineIds: [] })));
  });

  it('write the PATCH body of the contract: the endpoint resource, the pipelines, and allPipelines only when granted', () => {
    assert.deepEqual(permissions.toWire('sc-id', { allPipelines: false, pipelineIds: [16] }), {
      resource: { type: 'endpoint', id: 'sc-id' },
      pipelines: [{ id: 16, authorized: true }],
    });
    assert.deepEqual(permissions.toWire('sc-id', { allPipelines: true, pipelineIds: [] }).allPipelines, { authorized: true });
  });

  it('read build definitions with their folders, the root as \\', () => {
    const wire = { count: 3, value: [{ id: 7, name: 'app1-deploy', path: '\\apps' }, { id: 12, name: 'app1-ci', path: '\\' }, { name: 'no id' }] };
    assert.deepEqual(permissions.definitionsFromWire(wire), [
      { id: 7, name: 'app1-deploy', folder: '\\apps' },
      { id: 12, name: 'app1-ci', folder: '\\' },
    ]);
    assert.deepEqual(permissions.definitionsFromWire({}), []);
  });

  it('compare folders without case or trailing separators', () => {
    assert.ok(permissions.sameFolder('\\Apps\\', '\\apps'));
    assert.ok(permissions.sameFolder('\\', ''));
    assert.ok(!permissions.sameFolder('\\apps', '\\apps\\web'));
  });
});

describe('pipeline permissions: the entry of the change set', () => {
  const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', authorizeAllPipelines: 'true' }));

  it('adds what a new connection needs, and keeps what is there already', () => {
    assert.equal(permissions.decide(req, observed(req))?.action, 'update');
    assert.equal(permissions.decide(req, rerun(req, { pipelinePermissions: { allPipelines: true, pipelineIds: [] } }))?.action, 'keep');
  });

  it('has no entry when the request authorizes no pipeline', () => {
    const none = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev' }));
    assert.equal(permissions.decide(none, observed(none)), undefined);
  });
});

describe('recorded build definitions (tests/fixtures/recordings/)', () => {
  it('ado-build-definitions-list-by-name', () => {
    const recorded = recording('ado-build-definitions-list-by-name');
    assert.deepEqual(permissions.definitionsFromWire(recorded.body), []);
    assert.deepEqual(permissions.definitionsFromWire(object(recorded.second_example).body_trimmed), [{ id: 47, name: 'ContosoBuild', folder: '\\' }]);
  });
});
