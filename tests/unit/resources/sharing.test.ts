/** Sharing the connection with other projects: src/resources/sharing.ts. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import * as sharing from '../../../src/resources/sharing';
import { observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';

describe('sharing', () => {
  const app1 = { id: 'A1', name: 'app1' };
  const tools = { id: 'T1', name: 'tools' };

  it('adds only the projects the connection is not in, each once, ignoring the case of ids', () => {
    assert.deepEqual(sharing.projectsToAdd(['p1', 'a1'], [app1, tools, tools]), [tools]);
    assert.deepEqual(sharing.projectsToAdd(['p1', 'a1', 't1'], [app1, tools]), []);
  });

  it('writes one project reference per project, under the connection’s own name', () => {
    assert.deepEqual(sharing.toWire([tools], 'app1-dev', 'd'), [{ projectReference: { id: 'T1', name: 'tools' }, name: 'app1-dev', description: 'd' }]);
  });

  it('refuses a project with another connection of the same name, but not the connection itself', () => {
    assert.throws(
      () => sharing.assertShareable([{ project: app1, sameNameConnectionId: 'other' }], 'app1-dev', 'mine'),
      /already has another service connection named 'app1-dev'/,
    );
    assert.throws(() => sharing.assertShareable([{ project: app1, sameNameConnectionId: 'other' }], 'app1-dev', undefined));
    sharing.assertShareable([{ project: app1, sameNameConnectionId: 'MINE' }, { project: tools }], 'app1-dev', 'mine');
  });

  describe('the entry of the change set', () => {
    const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', shareWithProjects: 'app1' }));

    it('refuses to share into a project that holds another connection of that name', () => {
      const found = observed(req, { shareTargets: [{ project: { id: 'app1-id', name: 'app1' }, sameNameConnectionId: 'other' }] });
      assert.throws(() => sharing.decide(req, found), /already has another service connection named 'app1-dev'/);
    });

    it('shares only with the projects the connection is not in', () => {
      const first = sharing.decide(req, observed(req, { shareTargets: [{ project: { id: 'app1-id', name: 'app1' } }] }));
      assert.deepEqual(first?.add, [{ id: 'app1-id', name: 'app1' }]);
      const found = rerun(req);
      const again = sharing.decide(req, {
        ...found,
        shareTargets: [{ project: { id: 'app1-id', name: 'app1' }, sameNameConnectionId: 'connection-id' }],
        connection: {
          ...found.connection,
          serviceEndpointProjectReferences: [{ projectReference: { id: 'project-id' } }, { projectReference: { id: 'app1-id' } }],
        },
      });
      assert.equal(again?.action, 'keep');
    });
  });
});
