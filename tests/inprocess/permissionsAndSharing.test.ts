/**
 * Pipeline permissions, sharing with other projects, and a target project created a moment earlier:
 * whole runs of the task in process against the emulator.
 */
import { strict as assert } from 'node:assert';
import { useConnection } from '../support/useConnection';
import { succeeded, failed } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
};

describe('pipeline permissions, sharing and another project, whole runs in process', function () {
  this.timeout(120_000);
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  const projectIds = (connectionId: string): string[] =>
    emulator
      .state()
      .serviceConnections.find((c) => c.id === connectionId)!
      .serviceEndpointProjectReferences.map((r) => r.projectReference.id);

  it('authorizes all pipelines and the listed ones, shares with another project, and a re-run changes nothing', async () => {
    const inputs = {
      ...APP1_DEV,
      authorizeAllPipelines: 'true',
      authorizePipelines: '12\n\\apps\\app1-deploy',
      shareWithProjects: 'app1',
    };
    const run = await runInProcess(emulator, inputs);
    succeeded(run);
    const { world } = emulator;
    const connectionId = run.outputs.serviceConnectionId;

    const state = emulator.state();
    const connection = state.serviceConnections.find((c) => c.id === connectionId)!;
    assert.deepEqual(
      connection.serviceEndpointProjectReferences.map((r) => [r.projectReference.name, r.name]),
      [
        ['platform', 'app1-dev'],
        ['app1', 'app1-dev'],
      ],
      'the connection is in its project and shared with app1 under its own name',
    );
    assert.equal(connection.isShared, true);

    const permissions = state.pipelinePermissions.find((p) => p.resource.type === 'endpoint' && p.resource.id === connectionId);
    assert.ok(permissions, 'the connection has pipeline permissions');
    assert.equal(permissions.projectId, world.project.id, 'granted in the connection’s own project');
    assert.equal(permissions.allPipelines?.authorized, true, 'open to every pipeline of the project');
    assert.deepEqual(
      permissions.pipelines.map((p) => p.id).sort((a, b) => a - b),
      [7, 12],
      "'\\apps\\app1-deploy' resolved to 7",
    );
    assert.equal(permissions.pipelines[0].authorizedBy.id, world.buildService.id, 'granted by the job identity');

    assert.match(run.stdout, /Checked: pipelines 12, '\\apps\\app1-deploy' in project 'platform'\./);
    assert.match(run.stdout, /Updated: pipeline permissions on the connection: all pipelines of project 'platform' and pipelines 12, '\\apps\\app1-deploy'\./);
    assert.match(run.stdout, /Updated: the connection is shared with projects 'app1'\./);
    assert.equal((await useConnection(emulator, connectionId)).status, 200, 'the connection still works');

    const before = emulator.state();
    const writes = emulator.writes().length;
    const again = await runInProcess(emulator, inputs);
    succeeded(again);
    assert.equal(emulator.writes().length, writes, 'the second run wrote nothing');
    assert.deepEqual(emulator.state(), before, 'the world is unchanged');
    assert.match(again.stdout, /Kept: pipeline permissions on the connection/);
    assert.match(again.stdout, /Kept: the connection is shared with projects 'app1'\./);
  });

  it('grants only what is missing on an existing connection, keeping what was granted', async () => {
    succeeded(await runInProcess(emulator, { ...APP1_DEV, authorizePipelines: '12' }));
    const writes = emulator.writes().length;
    const run = await runInProcess(emulator, { ...APP1_DEV, authorizePipelines: 'app1-ci\n\\legacy\\app1-deploy' });
    succeeded(run);
    const newWrites = emulator.writes().slice(writes);
    assert.deepEqual(
      newWrites.map((w) => `${w.method} ${w.path.replace(/\?.*$/, '').replace(/^.*\/_apis\//, '')}`),
      [`PATCH pipelines/pipelinePermissions/endpoint/${run.outputs.serviceConnectionId}`],
      'one PATCH, nothing else',
    );
    const permissions = emulator.state().pipelinePermissions.find((p) => p.resource.id === run.outputs.serviceConnectionId)!;
    assert.deepEqual(
      permissions.pipelines.map((p) => p.id).sort((a, b) => a - b),
      [8, 12],
      'app1-ci is 12 (kept), \\legacy\\app1-deploy is 8',
    );
    assert.equal(permissions.allPipelines, undefined, 'open access stays off unless asked');
  });

  describe('a request naming what does not exist writes nothing', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'a pipeline name found in two folders',
        { authorizePipelines: 'app1-deploy' },
        /Input 'authorizePipelines' names 'app1-deploy', which matches pipelines in several folders \(\\apps, \\legacy\)/,
      ],
      [
        'an unknown pipeline name',
        { authorizePipelines: 'no-such-pipeline' },
        /Input 'authorizePipelines' names 'no-such-pipeline', which is not a pipeline in project 'platform'.* A pipeline must exist before it can be authorized: create it first/,
      ],
      ['an unknown pipeline id', { authorizePipelines: '999' }, /Input 'authorizePipelines' names the pipeline id 999/],
      ['a pipeline of another project', { authorizePipelines: 'app1-release' }, /Input 'authorizePipelines' names 'app1-release'/],
      ['an unknown project to share with', { shareWithProjects: 'no-such-project' }, /Input 'shareWithProjects' names 'no-such-project', which does not exist/],
    ];
    for (const [what, inputs, message] of cases) {
      it(what, async () => {
        failed(await runInProcess(emulator, { ...APP1_DEV, ...inputs }), message);
        assert.deepEqual(emulator.writes(), [], 'the emulator saw no write');
      });
    }

    it('a project to share with that has another connection of the same name', async () => {
      succeeded(await runInProcess(emulator, { ...APP1_DEV, project: 'app1', identityName: 'id-app1-own' }));
      const writes = emulator.writes().length;
      const run = await runInProcess(emulator, { ...APP1_DEV, shareWithProjects: 'app1' });
      failed(run, /project 'app1' already has another service connection named 'app1-dev'.*shareWithProjects/);
      assert.equal(emulator.writes().length, writes, 'found before the first write');
    });
  });

  it('creates the connection in another project created a moment earlier, once that project is wellFormed', async () => {
    const app2 = emulator.addProject({ name: 'app2', wellFormedAfterReads: 2 });
    const run = await runInProcess(emulator, { ...APP1_DEV, project: 'app2', authorizeAllPipelines: 'true' });
    succeeded(run);
    const projectReads = emulator.requests.filter((r) => r.method === 'GET' && /\/_apis\/projects\/app2(\?|$)/.test(r.path));
    assert.equal(projectReads.length, 3, 'read twice while createPending, then wellFormed');
    assert.deepEqual(projectIds(run.outputs.serviceConnectionId), [app2.id]);
    assert.equal(emulator.state().projects.find((p) => p.id === app2.id)?.state, 'wellFormed');
    assert.equal(emulator.state().pipelinePermissions.find((p) => p.resource.id === run.outputs.serviceConnectionId)?.projectId, app2.id);
  });

  it('shares with a project given by id that is still being created', async () => {
    const tools = emulator.addProject({ name: 'app1-tools', state: 'new', wellFormedAfterMs: 300 });
    const run = await runInProcess(emulator, { ...APP1_DEV, shareWithProjects: tools.id });
    succeeded(run);
    assert.deepEqual(projectIds(run.outputs.serviceConnectionId), [emulator.world.project.id, tools.id]);
  });
});
