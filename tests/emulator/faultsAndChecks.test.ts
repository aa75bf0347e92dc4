/**
 * The emulator's fault rules, permission reads and secret ledger, checked over real TLS with plain
 * requests: the faults the convergence tests rely on happen exactly where and when they are aimed.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { httpsRequest, type HttpAnswer } from '../support/emulator/client';
import { answerLost, failedAfterApply, refused, throttled, unavailable } from '../support/emulator/faults';
import { Emulator } from '../support/emulator/index';

describe('emulator faults and checks', function () {
  this.timeout(10_000);
  let emu: Emulator;

  beforeEach(async () => {
    emu = await Emulator.start();
  });
  afterEach(async () => {
    await emu.stop();
  });

  async function token(clientSecret = emu.world.bootstrap.clientSecret): Promise<string> {
    const answer = await httpsRequest({
      method: 'POST',
      url: `${emu.urls.login}${emu.world.tenantId}/oauth2/v2.0/token`,
      ca: emu.caPem,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: emu.world.bootstrap.clientId,
        client_secret: clientSecret,
        scope: 'https://management.core.windows.net//.default',
      }).toString(),
    });
    return (answer.body as { access_token: string }).access_token;
  }

  async function arm(method: string, path: string, apiVersion: string, body?: unknown): Promise<HttpAnswer> {
    return httpsRequest({
      method,
      url: `${emu.urls.arm}${path.replace(/^\//, '')}?api-version=${apiVersion}`,
      ca: emu.caPem,
      headers: { Authorization: `Bearer ${await token()}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function devops(path: string): Promise<HttpAnswer> {
    return httpsRequest({
      method: 'GET',
      url: `${emu.world.organization.url}${path}`,
      ca: emu.caPem,
      headers: { Authorization: `Bearer ${emu.world.jobAccessToken}` },
    });
  }

  const identity = (name: string) =>
    `/subscriptions/${emu.world.subscriptionId}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

  describe('fault rules', () => {
    it('hit the k-th write only, counting writes alone, and fire their hook', async () => {
      let fired = 0;
      emu.faults.add({ ...refused('arm', { writesOnly: true, skip: 1 }), onFire: () => (fired += 1) });
      assert.equal((await arm('GET', identity('id-a'), '2024-11-30')).status, 404, 'a read is not counted');
      assert.equal((await arm('PUT', identity('id-a'), '2024-11-30', { location: 'westeurope' })).status, 201, 'the first write passes');
      const second = await arm('PUT', identity('id-b'), '2024-11-30', { location: 'westeurope' });
      assert.equal(second.status, 403);
      assert.equal((second.body as { error: { code: string } }).error.code, 'AuthorizationFailed');
      assert.equal(fired, 1);
      assert.ok(!emu.state().identities.some((i) => i.name === 'id-b'), 'a refused write is not applied');
      assert.deepEqual(emu.faults.pending(), []);
    });

    it('apply a write and then lose its answer, or answer 503 for it', async () => {
      emu.faults.add(answerLost('arm', { method: 'PUT', path: /id-lost/ }));
      await assert.rejects(arm('PUT', identity('id-lost'), '2024-11-30', { location: 'westeurope' }), /socket hang up|ECONNRESET/);
      assert.ok(
        emu.state().identities.some((i) => i.name === 'id-lost'),
        'the service applied it',
      );
      assert.equal(emu.requests.find((r) => /id-lost/.test(r.path) && r.method === 'PUT')?.status, 0, 'logged as dropped');

      emu.faults.add(failedAfterApply('arm', 503, { method: 'PUT', path: /id-gateway/ }));
      assert.equal((await arm('PUT', identity('id-gateway'), '2024-11-30', { location: 'westeurope' })).status, 503);
      assert.ok(emu.state().identities.some((i) => i.name === 'id-gateway'));
    });

    it('throttle Azure DevOps with Retry-After and its own error body', async () => {
      emu.faults.add(throttled('devops', 7, { path: /\/_apis\/projects\// }));
      const answer = await devops('_apis/projects/platform?api-version=7.1');
      assert.equal(answer.status, 429);
      assert.equal(answer.headers['retry-after'], '7');
      assert.equal((answer.body as { typeKey: string }).typeKey, 'RequestBlockedException');
    });

    it("throttle and fail Microsoft Graph with Graph's own error envelope", async () => {
      emu.faults.add(throttled('graph', 3, { path: /\/applications/ }));
      emu.faults.add(unavailable('graph', 500, { path: /\/servicePrincipals/ }));
      const throttledAnswer = await httpsRequest({ method: 'GET', url: `${emu.urls.graph}v1.0/applications`, ca: emu.caPem });
      assert.equal(throttledAnswer.status, 429);
      assert.equal(throttledAnswer.headers['retry-after'], '3');
      const error = (throttledAnswer.body as { error: { code: string; innerError: Record<string, string> } }).error;
      assert.equal(error.code, 'TooManyRequests');
      assert.match(error.innerError['request-id'], /^[0-9a-f-]{36}$/);
      const failed = await httpsRequest({ method: 'GET', url: `${emu.urls.graph}v1.0/servicePrincipals`, ca: emu.caPem });
      assert.equal(failed.status, 500);
      assert.equal((failed.body as { error: { code: string } }).error.code, 'generalException');
    });
  });

  describe('permission reads', () => {
    it("ARM lists the caller's permissions at a scope, inherited from above, one entry per role", async () => {
      const answer = await arm(
        'GET',
        `/subscriptions/${emu.world.subscriptionId}/resourceGroups/rg-app1-dev/providers/Microsoft.Authorization/permissions`,
        '2022-04-01',
      );
      assert.equal(answer.status, 200);
      const value = (answer.body as { value: Array<{ actions: string[]; notActions: string[] }> }).value;
      assert.equal(value.length, 2, 'Contributor and Role Based Access Control Administrator, assigned at the subscription');
      assert.ok(value.some((p) => p.actions.includes('Microsoft.Authorization/roleAssignments/write')));
      assert.equal(
        (await arm('GET', `/subscriptions/${emu.world.subscriptionId}/resourceGroups/rg-none/providers/Microsoft.Authorization/permissions`, '2022-04-01'))
          .status,
        404,
      );
      const group = await arm('GET', `${emu.world.managementGroup.scope}/providers/Microsoft.Authorization/permissions`, '2022-04-01');
      assert.deepEqual(
        [group.status, (group.body as { value: unknown[] }).value],
        [200, []],
        'nothing is assigned at the management group above the subscription',
      );
    });

    it('ARM lists the regions that offer user-assigned identities', async () => {
      const answer = await arm('GET', `/subscriptions/${emu.world.subscriptionId}/providers/Microsoft.ManagedIdentity`, '2021-04-01');
      const types = (answer.body as { resourceTypes: Array<{ resourceType: string; locations: string[] }> }).resourceTypes;
      assert.ok(types.find((t) => t.resourceType === 'userAssignedIdentities')?.locations.includes('West Europe'));
    });

    it('Azure DevOps says what the job identity may do with service connections, by role and by creator', async () => {
      const { project, bootstrap } = emu.world;
      const ask = async (bits: number, token: string) =>
        (
          (await devops(`_apis/permissions/49b48001-ca20-4adc-8111-5b60c903a50c/${bits}?tokens=${encodeURIComponent(token)}&api-version=7.1`)).body as {
            value: boolean[];
          }
        ).value[0];
      assert.equal(await ask(4, `endpoints/${project.id}`), true, 'a Creator may create');
      assert.equal(await ask(2, `endpoints/${project.id}/${bootstrap.connectionId}`), false, 'but not administer a connection a person made');
      emu.configure({ buildServiceRole: 'User' });
      assert.equal(await ask(4, `endpoints/${project.id}`), false, 'a User may not create');
      emu.configure({ buildServiceRole: 'Administrator' });
      assert.equal(await ask(2, `endpoints/${project.id}/${bootstrap.connectionId}`), true, 'an Administrator may administer any');
    });
  });

  it('answers PrincipalNotFound despite principalType when told that the tenant ignores it', async () => {
    emu.configure({ principalTypeSkipsReplication: false, principalReplicationMs: 60_000 });
    const created = await arm('PUT', identity('id-new'), '2024-11-30', { location: 'westeurope' });
    const principalId = (created.body as { properties: { principalId: string } }).properties.principalId;
    const scope = `/subscriptions/${emu.world.subscriptionId}/resourceGroups/rg-app1-dev`;
    const assigned = await arm('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, '2022-04-01', {
      properties: {
        roleDefinitionId: `/subscriptions/${emu.world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
        principalId,
        principalType: 'ServicePrincipal',
      },
    });
    assert.equal(assigned.status, 400);
    assert.equal((assigned.body as { error: { code: string } }).error.code, 'PrincipalNotFound');
  });

  it('keeps a ledger of every secret and token it issued or received', async () => {
    const wrong = 'a-wrong-secret-of-some-length';
    await token(wrong);
    const issued = await token();
    const sentToGraph = 'a-bearer-token-sent-to-graph';
    await httpsRequest({ method: 'GET', url: `${emu.urls.graph}v1.0/applications`, ca: emu.caPem, headers: { Authorization: `Bearer ${sentToGraph}` } });
    const ledger = emu.secrets();
    for (const secret of [emu.world.jobAccessToken, emu.world.bootstrap.clientSecret, wrong, issued, sentToGraph]) assert.ok(ledger.includes(secret));
  });
});
