/**
 * The real services, as recorded (tests/fixtures/recordings/), not as the emulator first imagined them:
 * each case plays a recorded answer (or each candidate answer where the recordings leave it open) and
 * shows what the task does with it (issue 11).
 */
import { strict as assert } from 'node:assert';
import { collectionStopped } from '../support/emulator/faults';
import { APP_REGISTRATION, assertConverged, failed, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

const OIDC = /\/oidctoken\?/;
const CONNECTION_LIST = /\/_apis\/serviceendpoint\/endpoints\?/i;

async function withEmulator(options: Parameters<typeof Emulator.start>[0], body: (emulator: Emulator) => Promise<void>): Promise<void> {
  const emulator = await Emulator.start(options);
  try {
    await body(emulator);
  } finally {
    await emulator.stop();
  }
}

function connectionId(emulator: Emulator, name = 'app1-dev'): string {
  const connection = emulator.state().serviceConnections.find((c) => c.name === name);
  assert.ok(connection, `connection ${name} exists`);
  return connection.id;
}

describe('recorded service behaviour, whole runs in process', function () {
  this.timeout(120_000);

  describe('1. the OIDC token request (ado-oidctoken-invalid-token)', () => {
    it('sends X-TFS-FedAuthRedirect: Suppress, so a rejected job token is answered 401 and named with the fix', () =>
      withEmulator({}, async (emulator) => {
        const outcome = await run(emulator, MANAGED_IDENTITY.inputs, {
          env: {
            ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: 'rejected-job-token' } }),
            ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'rejected-job-token',
          },
        });
        // VS30063 is the emulator's 401 body: only a request carrying the header gets it (else a sign-in page).
        failed(outcome, /VS30063.*HTTP 401.*the job's access token \(System\.AccessToken\) was rejected or has expired: re-run the job/);
        assert.deepEqual(emulator.writes(), []);
      }));

    it('the OIDC request itself carries the header: its 401 is named as the job token refused', () =>
      withEmulator({}, async (emulator) => {
        // With devOpsAuth bootstrapIdentity every call waits on the OIDC token, so its failure is the line.
        const outcome = await run(
          emulator,
          { ...MANAGED_IDENTITY.inputs, devOpsAuth: 'bootstrapIdentity' },
          {
            env: {
              ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ scheme: 'OAuth', parameters: { AccessToken: 'rejected-job-token' } }),
              ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: 'rejected-job-token',
            },
          },
        );
        failed(outcome, /OIDC token.*rejected the job's access token \(System\.AccessToken\): VS30063.*HTTP 401.*re-run the job/);
        assert.deepEqual(emulator.writes(), []);
      }));

    for (const status of [203, 302] as const) {
      it(`reads a ${status} sign-in page as the job token refused, not as a success`, () =>
        withEmulator({}, async (emulator) => {
          emulator.faults.add({
            service: 'devops',
            path: OIDC,
            times: Infinity,
            status,
            headers: {
              'Content-Type': 'text/html; charset=utf-8',
              ...(status === 302 ? { Location: 'https://spsprodweu5.vssps.visualstudio.com/_signin' } : {}),
            },
            body: '<html><body><h2>Object moved to <a href="https://spsprodweu5.vssps.visualstudio.com/_signin?realm=dev.azure.com">here</a>.</h2></body></html>',
          });
          const outcome = await run(emulator, MANAGED_IDENTITY.inputs);
          failed(outcome, new RegExp(`rejected the job's access token \\(System\\.AccessToken\\) \\(HTTP ${status}\\)\\..*re-run the job`));
          assert.doesNotMatch(outcome.message ?? '', /<|href/, 'no markup in the line');
        }));
    }

    it('the emulator answers a refused token without the header as the service does (203, or 302 by knob)', () =>
      withEmulator({ recorded: { signInRedirectStatus: 302 } }, async (emulator) => {
        const answer = await fetchOidc(emulator, false);
        assert.equal(answer.status, 302);
        emulator.configure({ recorded: { signInRedirectStatus: 203 } });
        const again = await fetchOidc(emulator, false);
        assert.equal(again.status, 203);
        assert.match(again.body, /Object moved/);
        assert.equal((await fetchOidc(emulator, true)).status, 401);
      }));
  });

  describe('2. managed identity api-version in a sovereign cloud (arm-msi-identity-put-sovereign-apiversion)', () => {
    it('uses the newest version the cloud lists when it lacks the pinned one, and converges', () =>
      withEmulator(
        { cloud: 'AzureUSGovernment', recorded: { managedIdentityApiVersions: ['2015-08-31-preview', '2018-11-30', '2023-01-31'] } },
        async (emulator) => {
          const first = await run(emulator, MANAGED_IDENTITY.inputs);
          succeeded(first);
          const refused = emulator.requests.filter((r) => r.status === 400 && /userAssignedIdentities/i.test(r.path));
          assert.equal(refused.length, 1, 'one refusal, then the rest of the run uses the supported version');
          assert.ok(emulator.requests.some((r) => /federatedIdentityCredentials\/[^?]+\?api-version=2023-01-31/i.test(r.path) && r.method === 'PUT'));
          assertConverged(emulator, MANAGED_IDENTITY);
        },
      ));

    it('adds no round trip where the pinned version is served (the public cloud)', () =>
      withEmulator({}, async (emulator) => {
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        assert.deepEqual(
          emulator.requests.filter((r) => r.status === 400),
          [],
        );
      }));
  });

  describe('3. the service principal while its application replicates (graph-serviceprincipal-create-errors)', () => {
    const answers = [
      { answer: 'NoBackingApplicationObject', status: 400, permissions: undefined },
      { answer: 'Authorization_RequestDenied', status: 403, permissions: ['Application.ReadWrite.OwnedBy'] },
      { answer: 'Request_ResourceNotFound', status: 404, permissions: undefined },
    ] as const;
    for (const { answer, status, permissions } of answers) {
      it(`waits out ${status} ${answer} from the upsert, bounded`, () =>
        withEmulator(
          { graphReplicationMs: 20_000, recorded: { servicePrincipalLagAnswer: answer }, graphPermissions: permissions ? [...permissions] : undefined },
          async (emulator) => {
            succeeded(await run(emulator, APP_REGISTRATION.inputs));
            const upserts = emulator.requests.filter((r) => r.method === 'PATCH' && /\/servicePrincipals\(appId=/i.test(r.path));
            assert.ok(
              upserts.some((r) => r.status === status),
              `the upsert was answered ${status} first`,
            );
            assert.ok(upserts.at(-1)!.status < 300, 'and then succeeded');
            assertConverged(emulator, APP_REGISTRATION);
          },
        ));
    }

    it('gives up within replicationWaitSeconds, saying what it waited for', () =>
      withEmulator({ graphReplicationMs: 600_000, recorded: { servicePrincipalLagAnswer: 'Request_ResourceNotFound' } }, async (emulator) => {
        const outcome = await run(emulator, { ...APP_REGISTRATION.inputs, replicationWaitSeconds: '20' });
        failed(outcome, /replicat/i);
      }));
  });

  describe('4. a connection the caller may not see (ado-serviceendpoint-get-real)', () => {
    it('a partial object (type, data, authorization null): one line naming the role and where, nothing written', () =>
      withEmulator({}, async (emulator) => {
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        const id = connectionId(emulator);
        emulator.changeConnection(id, { creator: 'platformAdmin', visibility: 'partial' });
        const writes = emulator.writes().length;
        const outcome = await run(emulator, MANAGED_IDENTITY.inputs);
        failed(
          outcome,
          /named 'app1-dev' exists .*can see its name but not its details.*User of the connection.*Administrator.*Service connections → 'app1-dev' → ⋮ → Security/,
        );
        assert.equal(emulator.writes().length, writes, 'nothing written');
      }));

    it('a connection it cannot see at all (an empty list): one line naming the role; after the grant a re-run converges', () =>
      withEmulator({}, async (emulator) => {
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        const id = connectionId(emulator);
        emulator.changeConnection(id, { creator: 'platformAdmin', visibility: 'hidden' });
        const outcome = await run(emulator, MANAGED_IDENTITY.inputs);
        failed(outcome, /named 'app1-dev' exists .*cannot see it.*User of the connection.*Security/);
        emulator.changeConnection(id, { visibility: 'full' });
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        assertConverged(emulator, MANAGED_IDENTITY);
      }));
  });

  describe('5. Entra federation errors (entra-token-fic-mismatch)', () => {
    const cases = [
      {
        title: 'an issuer no credential has',
        change: { issuer: 'https://vstoken.dev.azure.com/00000000-0000-0000-0000-000000000000' },
        message: /AADSTS700211.*issuer/,
      },
      { title: 'a subject no credential has', change: { subject: 'sc://contoso/platform/someone-else' }, message: /AADSTS700213.*subject/ },
      {
        title: 'no federated credential at all',
        change: 'none' as const,
        message: /AADSTS70025: .*has no configured federated identity credentials.*needs a federated credential with issuer/,
      },
    ];
    for (const { title, change, message } of cases) {
      it(`the bootstrap's identity with ${title}: the real code and what to set where`, () =>
        withEmulator({}, async (emulator) => {
          emulator.changeBootstrapFederatedCredential(change);
          const outcome = await run(emulator, MANAGED_IDENTITY.inputs);
          failed(outcome, message);
          assert.match(outcome.message ?? '', /bootstrap connection/);
          assert.deepEqual(emulator.writes(), []);
        }));
    }
  });

  describe('6. Azure DevOps error bodies with a byte-order mark (ado-error-503-collection-stopped-bom)', () => {
    it('keeps the message and typeKey of a host-level 503', () =>
      withEmulator({}, async (emulator) => {
        emulator.faults.add(collectionStopped({ method: 'GET', path: CONNECTION_LIST, times: Infinity }));
        const outcome = await run(emulator, MANAGED_IDENTITY.inputs);
        failed(outcome, /TF24668: The following team project collection is stopped: contoso.*HTTP 503, VssServiceException/);
        assert.doesNotMatch(outcome.message ?? '', /\$id|typeName|\uFEFF/);
      }));

    it('keeps its Retry-After', () =>
      withEmulator({}, async (emulator) => {
        emulator.faults.add(collectionStopped({ method: 'GET', path: CONNECTION_LIST }, 7));
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        const log = emulator.requests.filter((r) => r.method === 'GET' && CONNECTION_LIST.test(r.path));
        const refused = log.findIndex((r) => r.status === 503);
        assert.ok(refused >= 0 && refused + 1 < log.length);
        assert.ok(log[refused + 1].startedAt - log[refused].endedAt >= 6950, 'waited as long as Retry-After asked');
      }));
  });

  describe('7. paging (nextLink, @odata.nextLink)', () => {
    for (const scenario of [MANAGED_IDENTITY, APP_REGISTRATION]) {
      it(`${scenario.identityType}: reads every page of the lists it reads`, () =>
        withEmulator({ recorded: { pageSize: 1 } }, async (emulator) => {
          succeeded(await run(emulator, scenario.inputs));
          succeeded(await run(emulator, scenario.inputs));
          assert.ok(
            emulator.requests.some((r) => /\/providers\/Microsoft\.Authorization\/permissions\?.*skiptoken/i.test(r.path)),
            'the permissions list was followed to its next page',
          );
          assertConverged(emulator, scenario);
        }));
    }
  });

  describe('7. paging of Azure DevOps lists (x-ms-continuationtoken)', () => {
    it('reads every page of the pipeline definitions: a name in two folders on two pages is still ambiguous', () =>
      withEmulator({ recorded: { pageSize: 1 } }, async (emulator) => {
        const outcome = await run(emulator, { ...MANAGED_IDENTITY.inputs, authorizePipelines: 'app1-deploy' });
        failed(outcome, /Input 'authorizePipelines' names 'app1-deploy', which matches pipelines in several folders/);
        assert.ok(emulator.requests.some((r) => /\/_apis\/build\/definitions\?.*continuationToken=/i.test(r.path)));
        assert.deepEqual(emulator.writes(), []);
      }));

    it('follows the pages to authorize pipelines named on a later page', () =>
      withEmulator({ recorded: { pageSize: 1 } }, async (emulator) => {
        succeeded(await run(emulator, { ...MANAGED_IDENTITY.inputs, authorizePipelines: 'app1-ci\n\\legacy\\app1-deploy' }));
      }));
  });

  describe('8. connection shapes (ado-serviceendpoint-get-real, ado-serviceendpoint-create-wif-response)', () => {
    it('a connection reads as the real service shows it', () =>
      withEmulator({}, async (emulator) => {
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        const connection = emulator.state().serviceConnections.find((c) => c.name === 'app1-dev')!;
        assert.equal(connection.owner, 'Library');
        assert.equal(connection.isDisabled, false);
        assert.equal(connection.operationStatus, undefined);
        assert.equal(connection.authorization.parameters.workloadIdentityFederationIssuerType, 'EntraID');
      }));

    it('a disabled connection of that name is not reported ready: the line says so and how to enable it, nothing written', () =>
      withEmulator({}, async (emulator) => {
        succeeded(await run(emulator, MANAGED_IDENTITY.inputs));
        emulator.changeConnection(connectionId(emulator), { disabled: true });
        const writes = emulator.writes().length;
        const outcome = await run(emulator, MANAGED_IDENTITY.inputs);
        failed(outcome, /'app1-dev' in project '.*' is disabled, so it is not ready.*unused for 100 days.*⋮ → Enable/);
        assert.equal(emulator.writes().length, writes);
        assert.doesNotMatch(outcome.stdout, /serviceConnectionId/);
      }));
  });
});

/** The OIDC token request as a client without (or with) X-TFS-FedAuthRedirect: Suppress sends it, with a refused token. */
async function fetchOidc(emulator: Emulator, suppress: boolean): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https');
  const environment = emulator.agentEnvironment();
  const url = new URL(`${environment.SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=${emulator.world.bootstrap.connectionId}`);
  const { readFileSync } = await import('node:fs');
  return new Promise((resolve, reject) => {
    const call = request(
      url,
      {
        method: 'POST',
        ca: readFileSync(emulator.caFile),
        headers: { authorization: 'Bearer rejected', 'content-type': 'application/json', ...(suppress ? { 'X-TFS-FedAuthRedirect': 'Suppress' } : {}) },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    call.on('error', reject);
    call.end('{}');
  });
}
