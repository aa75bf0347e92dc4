/**
 * The emulator's pipeline definitions, pipeline permissions, sharing and project states, checked over
 * real TLS with the job token, as the task calls them (plain REST, and ServiceEndpointApi for sharing).
 */
import { strict as assert } from 'node:assert';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { CoreApi } from 'azure-devops-node-api/CoreApi';
import { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import { httpsRequest, type HttpAnswer } from '../support/emulator/client';
import { Emulator } from '../support/emulator/index';

const PERMISSIONS_API = 'api-version=7.1-preview.1';

describe('emulator: pipelines, pipeline permissions, sharing and project states', function () {
  this.timeout(30_000);
  let emu: Emulator;

  before(async () => {
    emu = await Emulator.start();
  });
  after(async () => {
    await emu.stop();
  });

  const call = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
    httpsRequest({
      method,
      url: `${emu.world.organization.url}${path}`,
      ca: emu.caPem,
      headers: { Authorization: `Bearer ${emu.world.jobAccessToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const serviceEndpoints = (): ServiceEndpointApi =>
    new ServiceEndpointApi(emu.world.organization.url, [new BearerCredentialHandler(emu.world.jobAccessToken)], { cert: { caFile: emu.caFile } });

  /** A connection the job identity creates (so it is the connection's Administrator). */
  async function createConnection(name: string): Promise<string> {
    const { world, urls } = emu;
    const created = await serviceEndpoints().createServiceEndpoint({
      name,
      type: 'AzureRM',
      url: urls.arm,
      owner: 'library',
      authorization: {
        scheme: 'WorkloadIdentityFederation',
        parameters: { tenantid: world.tenantId, serviceprincipalid: '5e0c3c1a-0000-4000-8000-000000000001' },
      },
      data: { environment: 'AzureCloud', scopeLevel: 'Subscription', subscriptionId: world.subscriptionId, subscriptionName: 'x', creationMode: 'Manual' },
      serviceEndpointProjectReferences: [{ projectReference: { id: world.project.id, name: world.project.name }, name }],
    });
    return created.id!;
  }

  describe('build definitions', () => {
    const names = async (query: string): Promise<string[]> => {
      const answer = await call('GET', `${emu.world.project.name}/_apis/build/definitions?api-version=7.1&${query}`);
      assert.equal(answer.status, 200);
      return (answer.body as { value: { id: number; path: string }[] }).value.map((d) => `${d.id}${d.path}`);
    };

    it('filters by whole name without case, by wildcard, by folder and by ids', async () => {
      assert.deepEqual(await names('name=APP1-DEPLOY'), ['7\\apps', '8\\legacy']);
      assert.deepEqual(await names('name=app1'), [], 'a name matches whole');
      assert.deepEqual(await names('name=app1*'), ['7\\apps', '8\\legacy', '12\\']);
      assert.deepEqual(await names('name=app1-deploy&path=%5Capps'), ['7\\apps']);
      assert.deepEqual(await names('definitionIds=12,1,21'), ['1\\', '12\\'], 'only definitions of this project');
    });
  });

  describe('pipeline permissions', () => {
    it('answers the empty permissions of a new connection, then merges what a PATCH grants', async () => {
      const id = await createConnection('perm-1');
      const path = `${emu.world.project.id}/_apis/pipelines/pipelinePermissions/endpoint/${id}?${PERMISSIONS_API}`;
      assert.deepEqual((await call('GET', path)).body, { resource: { type: 'endpoint', id }, pipelines: [] });

      const first = await call('PATCH', path, { resource: { type: 'endpoint', id }, pipelines: [{ id: 12, authorized: true }] });
      assert.equal(first.status, 200);
      const second = await call('PATCH', path, { allPipelines: { authorized: true }, pipelines: [{ id: 7, authorized: true }] });
      const body = second.body as { allPipelines: { authorized: boolean; authorizedBy: { id: string } }; pipelines: { id: number; authorizedOn: string }[] };
      assert.deepEqual(
        body.pipelines.map((p) => p.id),
        [12, 7],
        'pipelines granted earlier are kept',
      );
      assert.equal(body.allPipelines.authorized, true);
      assert.equal(body.allPipelines.authorizedBy.id, emu.world.buildService.id);
      assert.ok(!Number.isNaN(Date.parse(body.pipelines[0].authorizedOn)));

      const revoked = await call('PATCH', path, { pipelines: [{ id: 12, authorized: false }], allPipelines: { authorized: false } });
      assert.deepEqual(
        (revoked.body as { pipelines: { id: number }[] }).pipelines.map((p) => p.id),
        [7],
      );
      assert.equal((revoked.body as { allPipelines?: unknown }).allPipelines, undefined);
      assert.ok(
        emu.state().pipelinePermissions.some((p) => p.resource.id === id),
        'state() shows them',
      );
    });

    it('refuses a caller that is not Administrator of the connection, with 403 AccessCheckException', async () => {
      // The bootstrap connection was created by the platform administrator; the job identity is a Creator.
      const path = `${emu.world.project.name}/_apis/pipelines/pipelinePermissions/endpoint/${emu.world.bootstrap.connectionId}?${PERMISSIONS_API}`;
      assert.equal((await call('GET', path)).status, 200, 'reading needs only the Reader role');
      const denied = await call('PATCH', path, { allPipelines: { authorized: true } });
      assert.equal(denied.status, 403);
      assert.equal((denied.body as { typeKey: string }).typeKey, 'AccessCheckException');
    });

    it('refuses an unknown pipeline, an unknown connection and a released api-version', async () => {
      const id = await createConnection('perm-2');
      const path = `${emu.world.project.name}/_apis/pipelines/pipelinePermissions/endpoint/${id}`;
      assert.equal(
        (await call('PATCH', `${path}?${PERMISSIONS_API}`, { pipelines: [{ id: 21, authorized: true }] })).status,
        404,
        'pipeline 21 is in another project',
      );
      const unknown = `${emu.world.project.name}/_apis/pipelines/pipelinePermissions/endpoint/00000000-0000-4000-8000-000000000000?${PERMISSIONS_API}`;
      assert.equal((await call('GET', unknown)).status, 404);
      const released = await call('GET', `${path}?api-version=7.1`);
      assert.equal(released.status, 400);
      assert.equal((released.body as { typeKey: string }).typeKey, 'VssInvalidPreviewVersionException');
    });
  });

  describe('sharing', () => {
    it('adds a project reference, and refuses a project that has a connection of that name', async () => {
      const id = await createConnection('shared-1');
      const { secondProject } = emu.world;
      await serviceEndpoints().shareServiceEndpoint([{ projectReference: { id: secondProject.id, name: secondProject.name }, name: 'shared-1' }], id);
      const connection = emu.state().serviceConnections.find((c) => c.id === id)!;
      assert.deepEqual(
        connection.serviceEndpointProjectReferences.map((r) => r.projectReference.name),
        ['platform', 'app1'],
      );
      assert.equal(connection.isShared, true);

      const other = await createConnection('shared-2');
      const clash = await serviceEndpoints()
        .shareServiceEndpoint([{ projectReference: { id: secondProject.id, name: secondProject.name }, name: 'shared-1' }], other)
        .then(
          () => undefined,
          (error: { statusCode?: number; result?: { typeKey?: string } }) => error,
        );
      assert.equal(clash?.result?.typeKey, 'DuplicateServiceConnectionException');
    });
  });

  describe('project states', () => {
    it('shows a new project as createPending for N reads, then wellFormed; its project routes answer 404 until then', async () => {
      const fresh = emu.addProject({ name: 'fresh', wellFormedAfterReads: 2 });
      const core = new CoreApi(emu.world.organization.url, [new BearerCredentialHandler(emu.world.jobAccessToken)], { cert: { caFile: emu.caFile } });
      const listed = async (): Promise<string[]> => (await core.getProjects()).map((p) => p.name!);
      assert.ok(!(await listed()).includes('fresh'), 'the list shows wellFormed projects by default');
      assert.equal((await call('GET', `fresh/_apis/serviceendpoint/endpoints?endpointNames=x&api-version=7.1`)).status, 404);

      assert.equal((await core.getProject('fresh')).state, 'createPending');
      assert.equal((await core.getProject(fresh.id)).state, 'createPending');
      assert.equal((await core.getProject('fresh')).state, 'wellFormed');
      assert.ok((await listed()).includes('fresh'));
      assert.equal((await call('GET', `fresh/_apis/serviceendpoint/endpoints?endpointNames=x&api-version=7.1`)).status, 200);
      assert.equal(emu.state().projects.find((p) => p.id === fresh.id)?.state, 'wellFormed');
    });

    it('turns a project wellFormed after a time, and keeps one pending without a knob', async () => {
      emu.addProject({ name: 'timed', state: 'new', wellFormedAfterMs: 100 });
      emu.addProject({ name: 'stuck' });
      const state = async (name: string): Promise<string> => ((await call('GET', `_apis/projects/${name}?api-version=7.1`)).body as { state: string }).state;
      assert.equal(await state('timed'), 'new');
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await state('timed'), 'wellFormed');
      assert.equal(await state('stuck'), 'createPending');
      assert.equal(await state('stuck'), 'createPending');
    });
  });
});
