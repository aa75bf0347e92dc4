/**
 * The emulated conversions (devops-conversion.ts), asked as Microsoft's published script asks them: a secret
 * connection converts to workload identity federation only once its application trusts the pair, answering the
 * converted connection with a 7-day revert deadline and the Entra pair (or Azure DevOps' former pair, by knob);
 * refusals for a changed body, an operation in progress and a caller who is not Administrator everywhere; the
 * revert; and the web UI's Update of a connection on the former issuer.
 */
import { strict as assert } from 'node:assert';
import { ClientSecretCredential } from '@azure/identity';
import { createConnection, wifConnectionBody } from '../support/admin';
import { httpsRequest, type HttpAnswer } from '../support/emulator/client';
import { Emulator } from '../support/emulator/index';

type Endpoint = {
  id: string;
  name: string;
  authorization: { scheme: string; parameters: Record<string, string | null> };
  data: Record<string, string>;
  operationStatus?: { state: string; statusMessage: string };
  serviceEndpointProjectReferences: unknown[];
};

const DAY_MS = 24 * 3600_000;

describe('emulator: ConvertAuthenticationScheme and the issuer Update', function () {
  this.timeout(30_000);
  let emu: Emulator;
  let graphToken: string;
  before(async () => {
    emu = await Emulator.start();
    const credential = new ClientSecretCredential(emu.world.tenantId, emu.world.bootstrap.clientId, emu.world.bootstrap.clientSecret, {
      authorityHost: emu.urls.login,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caPem },
    });
    graphToken = (await credential.getToken(`${emu.urls.graph}.default`)).token;
  });
  after(async () => {
    await emu.stop();
  });

  const call = (method: string, url: string, token: string, body?: unknown): Promise<HttpAnswer> =>
    httpsRequest({
      method,
      url,
      ca: emu.caPem,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const graph = (method: string, path: string, body?: unknown) => call(method, `${emu.urls.graph}v1.0${path}`, graphToken, body);
  const devops = (method: string, path: string, body?: unknown) => call(method, `${emu.world.organization.url}${path}`, emu.world.jobAccessToken, body);
  const read = async (id: string): Promise<Endpoint> =>
    (await devops('GET', `${emu.world.project.id}/_apis/serviceendpoint/endpoints/${id}?api-version=7.1`)).body as Endpoint;
  const convert = (endpoint: Endpoint, scheme = 'WorkloadIdentityFederation') => {
    const body = structuredClone(endpoint);
    body.authorization.scheme = scheme;
    delete body.data.revertSchemeDeadline;
    return devops('PUT', `${emu.world.project.id}/_apis/serviceendpoint/endpoints/${endpoint.id}?operation=ConvertAuthenticationScheme&api-version=7.1`, body);
  };

  /** An app registration with its service principal; returns its object and client ids. */
  async function application(name: string): Promise<{ id: string; appId: string }> {
    const app = (await graph('POST', '/applications', { displayName: name, signInAudience: 'AzureADMyOrg' })).body as { id: string; appId: string };
    await graph('POST', '/servicePrincipals', { appId: app.appId });
    return app;
  }

  const trust = (app: { id: string }, issuer: string, subject: string) =>
    graph('POST', `/applications/${app.id}/federatedIdentityCredentials`, {
      name: `c-${subject.length}-${Date.now()}`,
      issuer,
      subject,
      audiences: ['api://AzureADTokenExchange'],
    });

  /** A secret connection: the workload identity body (tests/support/admin.ts) with a client secret instead. */
  async function secretConnection(name: string, clientId: string): Promise<Endpoint> {
    const body = wifConnectionBody(emu, name, clientId);
    body.authorization = {
      scheme: 'ServicePrincipal',
      parameters: {
        tenantid: emu.world.tenantId,
        serviceprincipalid: clientId,
        authenticationType: 'spnKey',
        serviceprincipalkey: 'a-secret-value-0123456789',
      },
    };
    const answer = await devops('POST', '_apis/serviceendpoint/endpoints?api-version=7.1', body);
    assert.equal(answer.status, 200, answer.text);
    return read((answer.body as Endpoint).id);
  }

  /** The Entra pair, by the rule the task follows: the prefix of a connection on the Entra issuer (the bootstrap's), then /sc/{org id}/{id}. */
  async function entraPair(id: string): Promise<{ issuer: string; subject: string }> {
    const bootstrap = (await read(emu.world.bootstrap.connectionId)).authorization.parameters;
    const subject = String(bootstrap.workloadIdentityFederationSubject);
    return {
      issuer: String(bootstrap.workloadIdentityFederationIssuer),
      subject: `${subject.slice(0, subject.indexOf('/sc/') + 4)}${emu.world.organization.id}/${id}`,
    };
  }

  it('refuses a connection whose identity trusts no pair, with the service message, and marks it converting_scheme_failed', async () => {
    const app = await application('legacy-secret');
    const connection = await secretConnection('legacy-secret', app.appId);
    const refused = await convert(connection);
    assert.equal(refused.status, 400);
    assert.match(
      refused.text,
      /could not be upgraded to WorkloadIdentityFederation because the service principal could not be configured automatically, and no valid configuration exists/,
    );
    const after = await read(connection.id);
    assert.equal(after.authorization.scheme, 'ServicePrincipal');
    assert.deepEqual(after.operationStatus, { state: 'Failed', statusMessage: 'converting_scheme_failed' });

    emu.configure({ recorded: { convertFailureMarksConnection: false } });
    const other = await secretConnection('legacy-secret-2', app.appId);
    assert.equal((await convert(other)).status, 400);
    assert.equal((await read(other.id)).operationStatus, undefined);
    emu.configure({ recorded: { convertFailureMarksConnection: true } });
  });

  it('converts once the application trusts the Entra pair: the pair, no secret, a 7-day revert deadline; and reverts', async () => {
    const app = await application('legacy-convert');
    const connection = await secretConnection('legacy-convert', app.appId);
    const pair = await entraPair(connection.id);
    await trust(app, pair.issuer, pair.subject);
    const answer = await convert(connection);
    assert.equal(answer.status, 200, answer.text);
    const converted = answer.body as Endpoint;
    assert.equal(converted.authorization.scheme, 'WorkloadIdentityFederation');
    assert.equal(converted.authorization.parameters.workloadIdentityFederationIssuer, pair.issuer);
    assert.equal(converted.authorization.parameters.workloadIdentityFederationSubject, pair.subject);
    assert.equal(converted.authorization.parameters.workloadIdentityFederationIssuerType, 'EntraID');
    assert.ok(!('serviceprincipalkey' in converted.authorization.parameters));
    assert.match(converted.data.revertSchemeDeadline, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    assert.ok(Math.abs(Date.parse(converted.data.revertSchemeDeadline) - (Date.now() + 7 * DAY_MS)) < 60_000);
    assert.equal(converted.operationStatus, undefined);

    const reverted = await convert(await read(connection.id), 'ServicePrincipal');
    assert.equal(reverted.status, 200, reverted.text);
    assert.equal((reverted.body as Endpoint).authorization.scheme, 'ServicePrincipal');
    assert.equal((reverted.body as Endpoint).data.revertSchemeDeadline, undefined);
    const again = await convert(await read(connection.id), 'ServicePrincipal');
    assert.equal(again.status, 400);
    assert.match(again.text, /neither an upgrade or a downgrade/);
  });

  it("issues Azure DevOps' former pair instead when the knob says so", async () => {
    emu.configure({ recorded: { convertIssuedPair: 'former' } });
    try {
      const app = await application('legacy-former');
      const connection = await secretConnection('legacy-former', app.appId);
      const pair = await entraPair(connection.id);
      await trust(app, pair.issuer, pair.subject);
      const converted = (await convert(connection)).body as Endpoint;
      assert.equal(converted.authorization.parameters.workloadIdentityFederationIssuer, `https://vstoken.dev.azure.com/${emu.world.organization.id}`);
      assert.equal(
        converted.authorization.parameters.workloadIdentityFederationSubject,
        `sc://${emu.world.organization.name}/${emu.world.project.name}/legacy-former`,
      );
    } finally {
      emu.configure({ recorded: { convertIssuedPair: 'tested' } });
    }
  });

  it('refuses a changed body, an operation in progress (400 or 409) and a caller who is not Administrator', async () => {
    const app = await application('legacy-refusals');
    const connection = await secretConnection('legacy-refusals', app.appId);
    const renamed = await convert({ ...connection, name: 'another-name' });
    assert.equal(renamed.status, 400);
    assert.match(renamed.text, /Properties cannot be changed during service connection upgrade. Property name does not match/);

    emu.configure({ connectionReadiness: { inProgressReads: 50 }, recorded: { convertInProgressStatus: 409 } });
    const busy = await secretConnection('legacy-busy', app.appId);
    emu.configure({ connectionReadiness: { inProgressReads: 0 } });
    const inProgress = await convert(busy);
    assert.equal(inProgress.status, 409);
    assert.match(inProgress.text, /another operation is already in progress with current status 'Creating the service connection.'/);

    emu.changeConnection(connection.id, { creator: 'platformAdmin' });
    const denied = await convert(connection);
    assert.equal(denied.status, 403);
    assert.match(denied.text, /You need to be an Administrator on this service connection/);
  });

  it("plays the web UI's Update: refused with the pair to add while the identity does not trust it, then moved", async () => {
    const app = await application('old-issuer');
    emu.configure({ connectionIssuer: 'devops' });
    const { id } = await createConnection(emu, 'old-issuer', app.appId);
    emu.configure({ connectionIssuer: 'entra' });
    assert.match(String((await read(id)).authorization.parameters.workloadIdentityFederationIssuer), /^https:\/\/vstoken\.dev\.azure\.com\//);

    const refused = emu.updateConnectionIssuer(id);
    assert.ok(!refused.moved);
    assert.deepEqual(refused, { moved: false, ...(await entraPair(id)), audience: 'api://AzureADTokenExchange' });
    await trust(app, refused.issuer, refused.subject);
    assert.deepEqual(emu.updateConnectionIssuer(id), { moved: true });
    const moved = (await read(id)).authorization.parameters;
    assert.equal(moved.workloadIdentityFederationIssuer, refused.issuer);
    assert.equal(moved.workloadIdentityFederationSubject, refused.subject);
    assert.equal(moved.workloadIdentityFederationIssuerType, 'EntraID');
  });
});
