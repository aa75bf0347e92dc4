/**
 * The emulator's check configurations, identities and stage runs (devops-checks.ts), over real TLS with the
 * job token and a reader's personal access token.
 */
import { strict as assert } from 'node:assert';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import { httpsRequest, type HttpAnswer } from '../support/emulator/client';
import { CHECK_TYPES, IDENTITIES_AREA, ORGANIZATION_IDENTITIES } from '../support/emulator/devops-checks';
import { Emulator } from '../support/emulator/index';
import { wifConnectionBody } from '../support/admin';

const CHECKS_API = 'api-version=7.1-preview.1';

describe('emulator: approvals and checks, identities', function () {
  this.timeout(30_000);
  let emu: Emulator;
  let connectionId: string;

  before(async () => {
    emu = await Emulator.start();
    const { world } = emu;
    const api = new ServiceEndpointApi(world.organization.url, [new BearerCredentialHandler(world.jobAccessToken)], { cert: { caFile: emu.caFile } });
    const created = await api.createServiceEndpoint(wifConnectionBody(emu, 'checked', '5e0c3c1a-0000-4000-8000-000000000001'));
    connectionId = created.id!;
  });
  after(async () => {
    await emu.stop();
  });

  const call = (method: string, url: string, body?: unknown, authorization = `Bearer ${emu.world.jobAccessToken}`): Promise<HttpAnswer> =>
    httpsRequest({
      method,
      url: url.startsWith('https:') ? url : `${emu.world.organization.url}${url}`,
      ca: emu.caPem,
      headers: { Authorization: authorization, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const configurations = 'platform/_apis/pipelines/checks/configurations';
  const approval = (id: string) => ({
    type: { id: CHECK_TYPES.approval, name: 'Approval' },
    resource: { type: 'endpoint', id },
    timeout: 43200,
    settings: { approvers: [{ id: ORGANIZATION_IDENTITIES[0].id }], instructions: '', minRequiredApprovers: 0, requesterCannotBeApprover: false },
  });

  it('finds identities on the host the resource area names, by account, mail or display name', async () => {
    const area = await call('GET', `_apis/resourceAreas/${IDENTITIES_AREA}?api-version=7.1`);
    assert.equal(area.status, 200);
    const host = (area.body as { locationUrl: string }).locationUrl;
    assert.notEqual(host, emu.world.organization.url, 'identities live on another base');
    const found = await call(
      'GET',
      `${host}_apis/identities?searchFilter=General&filterValue=${encodeURIComponent('[platform]\\Release Approvers')}&api-version=7.1-preview.1`,
    );
    assert.equal(found.status, 200);
    assert.deepEqual(
      (found.body as { value: { id: string; isContainer: boolean }[] }).value.map((i) => [i.id, i.isContainer]),
      [[ORGANIZATION_IDENTITIES[2].id, true]],
    );
    const none = await call('GET', `${host}_apis/identities?searchFilter=General&filterValue=nobody%40contoso.com&api-version=7.1-preview.1`);
    assert.deepEqual(none.body, { count: 0, value: [] }, 'an unknown name is an empty list');
    const atOrganization = await call('GET', `_apis/identities?searchFilter=General&filterValue=alice%40contoso.com&api-version=7.1-preview.1`);
    assert.equal(atOrganization.status, 404, 'the organization URL does not serve identities');
  });

  it('adds a check only for an Administrator of the connection, preview versions only, settings only with $expand=settings', async () => {
    const released = await call('POST', `${configurations}?api-version=7.1`, approval(connectionId));
    assert.equal((released.body as { typeKey: string }).typeKey, 'VssInvalidPreviewVersionException');
    const reader = `Basic ${Buffer.from(`:${emu.world.personalAccessTokens.reader}`).toString('base64')}`;
    const denied = await call('POST', `${configurations}?${CHECKS_API}`, approval(connectionId), reader);
    assert.equal(denied.status, 403);
    const added = await call('POST', `${configurations}?${CHECKS_API}`, approval(connectionId));
    assert.equal(added.status, 200);
    assert.equal(typeof (added.body as { id: unknown }).id, 'number');
    const plain = await call('GET', `${configurations}?resourceType=endpoint&resourceId=${connectionId}&${CHECKS_API}`);
    assert.equal((plain.body as { value: Record<string, unknown>[] }).value[0].settings, undefined, 'no settings without $expand');
    const expanded = await call('GET', `${configurations}?resourceType=endpoint&resourceId=${connectionId}&$expand=settings&${CHECKS_API}`);
    assert.ok((expanded.body as { value: Record<string, unknown>[] }).value[0].settings);
    const unknown = await call('POST', `${configurations}?${CHECKS_API}`, {
      ...approval(connectionId),
      settings: { approvers: [{ id: '00000000-0000-0000-0000-000000000000' }] },
    });
    assert.equal(unknown.status, 400, 'an approver that is no identity is refused');
  });

  it('holds a stage for approval, and fails one from a branch the branch control check does not allow', async () => {
    assert.equal(emu.runStage(connectionId, 'refs/heads/main').status, 'waitingForApproval');
    const branch = await call('POST', `${configurations}?${CHECKS_API}`, {
      type: { id: CHECK_TYPES.taskCheck, name: 'Task Check' },
      resource: { type: 'endpoint', id: connectionId },
      timeout: 1440,
      settings: {
        displayName: 'Branch control',
        definitionRef: { id: CHECK_TYPES.branchControlDefinition, name: 'evaluatebranchProtection', version: '0.0.1' },
        inputs: { allowedBranches: 'refs/heads/main', ensureProtectionOfBranch: 'false' },
      },
    });
    assert.equal(branch.status, 200);
    assert.equal(emu.runStage(connectionId, 'refs/heads/topic').status, 'failed');
    assert.equal(emu.runStage(connectionId, 'refs/heads/main').status, 'waitingForApproval');
  });
});
