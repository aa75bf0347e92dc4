/**
 * Faults: every service misbehaves the way the real ones do (latency, throttling with Retry-After, 5xx,
 * dropped connections before and after the work is done, replication delays, concurrent-write refusals),
 * per service and per path. The task rides each out and ends where one clean run ends, or, when the
 * fault outlasts its bound, fails with one line that says what it waited for and how long.
 */
import { strict as assert } from 'node:assert';
import { type FaultRule, type RequestLogEntry } from '../support/emulator';
import { dropped, failedAfterApply, slow, throttled, unavailable } from '../support/emulator/faults';
import { useConnection } from '../support/useConnection';
import { assertConverged, canonicalState, failed, IDENTITY_SCENARIOS, type IdentityScenario, succeeded, type WritePoint } from '../support/scenarios';
import { cleanRun, run } from './runs';
import { Emulator } from './harness';

const TOKEN = /\/oauth2\/v2\.0\/token(\?|$)/;
const OIDC = /\/oidctoken\?/;

interface FaultCase {
  title: string;
  /** Only for this identity type (a fault of a path the other never calls). */
  only?: IdentityScenario['identityType'];
  faults(scenario: IdentityScenario): FaultRule[];
  /** Emulator knobs for the case (replication, readiness). */
  setup?(emulator: Emulator): void;
  /** More to check after the run, e.g. that a Retry-After was honoured. */
  check?(emulator: Emulator): void;
}

const at = (point: WritePoint) => ({ method: point.method, path: point.path, writesOnly: true });

/** The gap between a request answered `status` and the next request to the same path, in ms. */
function waitAfter(emulator: Emulator, status: number, matches: (entry: RequestLogEntry) => boolean): number {
  const log = emulator.requests.filter(matches);
  const refused = log.findIndex((entry) => entry.status === status);
  assert.ok(refused >= 0 && refused + 1 < log.length, `a request answered ${status}, then tried again`);
  return log[refused + 1].startedAt - log[refused].endedAt;
}

/** Fault kinds aimed at each write of the scenario in turn. */
function atEveryWrite(scenario: IdentityScenario): FaultCase[] {
  return scenario.writes.flatMap((point): FaultCase[] => [
    {
      title: `429 with Retry-After: 1 on ${point.what} (${point.service})`,
      faults: () => [throttled(point.service, 1, at(point))],
      check: (emulator) =>
        assert.ok(
          waitAfter(emulator, 429, (e) => e.service === point.service && e.method === point.method && point.path.test(e.path)) >= 950,
          'waited as long as Retry-After asked',
        ),
    },
    {
      title: `503 from a gateway after the service applied ${point.what} (${point.service})`,
      faults: () => [failedAfterApply(point.service, 503, at(point))],
    },
  ]);
}

const CASES: Array<FaultCase | ((scenario: IdentityScenario) => FaultCase[])> = [
  {
    title: 'every service 150 ms slower on every request',
    faults: () => (['login', 'arm', 'devops', 'graph'] as const).map((service) => slow(service, 150, { times: Infinity })),
  },
  {
    title: 'one path 1.5 s slower: the first write',
    faults: (scenario) => [slow(scenario.writes[0].service, 1500, at(scenario.writes[0]))],
  },
  atEveryWrite,
  {
    title: '500 (nothing applied) on the first write to each service',
    faults: (scenario) => firstWrites(scenario).map((point) => unavailable(point.service, 500, at(point))),
  },
  {
    title: 'a connection dropped before the service saw the first write to each service',
    faults: (scenario) => firstWrites(scenario).map((point) => dropped(point.service, at(point))),
  },
  {
    title: '503 twice on ARM reads and Azure DevOps reads',
    faults: () => [unavailable('arm', 503, { method: 'GET', times: 2 }), unavailable('devops', 503, { method: 'GET', path: /\/_apis\/projects\//, times: 2 })],
  },
  {
    title: '429 with Retry-After: 1 on the Azure DevOps project read, dropped connection on the connection lookup',
    faults: () => [throttled('devops', 1, { method: 'GET', path: /\/_apis\/projects\// }), dropped('devops', { method: 'GET', path: /endpointNames=/ })],
    check: (emulator) => assert.ok(waitAfter(emulator, 429, (e) => e.service === 'devops' && /\/_apis\/projects\//.test(e.path)) >= 900),
  },
  {
    title: '503 once from Entra ID and once from the pipeline OIDC token endpoint',
    faults: () => [unavailable('login', 503, { method: 'POST', path: TOKEN }), unavailable('devops', 503, { method: 'POST', path: OIDC })],
  },
  {
    title: 'a dropped connection at the Entra ID token endpoint',
    faults: () => [dropped('login', { method: 'POST', path: TOKEN })],
  },
  {
    title: '409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity once (another writer on the identity)',
    only: 'managedIdentity',
    faults: () => [
      {
        service: 'arm',
        method: 'PUT',
        path: /\/federatedIdentityCredentials\//i,
        status: 409,
        body: {
          error: {
            code: 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity',
            message:
              'Too many Federated Identity Credentials are written concurrently for the managed identity. Concurrent Federated Identity Credentials writes under the same managed identity are not supported.',
          },
        },
      },
    ],
  },
  {
    title: 'PrincipalNotFound for 5 s although principalType is sent (some tenants)',
    faults: () => [],
    setup: (emulator) => {
      emulator.configure({ principalReplicationMs: 5000, principalTypeSkipsReplication: false });
    },
    check: (emulator) => assert.ok(emulator.requests.some((r) => r.method === 'PUT' && /roleAssignments/i.test(r.path) && r.status === 400)),
  },
  {
    title: 'a new connection reported InProgress for its first two reads',
    faults: () => [],
    setup: (emulator) => emulator.configure({ connectionReadiness: { inProgressReads: 2 } }),
  },
  {
    title: 'a new application Microsoft Graph does not show for 5 s (NoBackingApplicationObject, Request_ResourceNotFound)',
    only: 'appRegistration',
    faults: () => [],
    setup: (emulator) => emulator.configure({ graphReplicationMs: 5000 }),
    check: (emulator) =>
      assert.ok(emulator.requests.some((r) => r.service === 'graph' && r.method === 'PATCH' && /servicePrincipals/i.test(r.path) && r.status === 400)),
  },
  {
    title: '503 twice on Microsoft Graph reads, and a dropped connection on the application read',
    only: 'appRegistration',
    faults: () => [unavailable('graph', 503, { method: 'GET', times: 2 }), dropped('graph', { method: 'GET', path: /\/applications\(uniqueName=/i })],
  },
];

/** The first write of each service the scenario writes to. */
function firstWrites(scenario: IdentityScenario): WritePoint[] {
  return [...new Map(scenario.writes.map((point) => [point.service, point])).values()].reverse();
}

describe('faults', function () {
  this.timeout(180_000);

  for (const scenario of IDENTITY_SCENARIOS) {
    describe(`a ${scenario.identityType} run under faults`, function () {
      this.timeout(60_000);
      let reference: Record<string, string[]>;

      before(async () => {
        reference = (await cleanRun(scenario)).state;
      });

      const cases = CASES.flatMap((entry) => (typeof entry === 'function' ? entry(scenario) : [entry])).filter(
        (fault) => !fault.only || fault.only === scenario.identityType,
      );
      for (const fault of cases) {
        it(`rides out ${fault.title}, ending as one clean run`, async () => {
          const emulator = await Emulator.start();
          try {
            fault.setup?.(emulator);
            for (const rule of fault.faults(scenario)) emulator.faults.add(rule);
            const outcome = await run(emulator, scenario.inputs);
            succeeded(outcome);
            assert.deepEqual(
              emulator.faults.pending().filter((rule) => rule.times !== Infinity),
              [],
              'every fault happened',
            );
            assert.deepEqual(canonicalState(emulator), reference, 'no duplicate and nothing missing');
            assertConverged(emulator, scenario);
            fault.check?.(emulator);
            assert.equal((await useConnection(emulator, outcome.outputs.serviceConnectionId)).status, 200);
          } finally {
            await emulator.stop();
          }
        });
      }

      describe('gives up after a bounded wait, saying what it waited for and how long', () => {
        let emulator: Emulator;
        beforeEach(async () => {
          emulator = await Emulator.start();
        });
        afterEach(async () => {
          await emulator.stop();
        });

        it('when Azure DevOps asks to wait longer than the bound allows (Retry-After: 120)', async () => {
          emulator.faults.add(throttled('devops', 120, { method: 'GET', path: /\/_apis\/projects\//, times: Infinity }));
          const outcome = await run(emulator, scenario.inputs);
          failed(
            outcome,
            /^Could not read the project 'platform': gave up after waiting 0 s for Azure DevOps \(the service asked to wait 120 s more, beyond this task's 30 s bound\): TF400733.*\(HTTP 429, RequestBlockedException.*run fewer pipelines/,
          );
          assert.deepEqual(emulator.writes(), [], 'nothing was written');
        });

        it('when Azure Resource Manager keeps answering 503 beyond the bound', async () => {
          const first = scenario.writes.find((point) => point.service === 'arm')!;
          emulator.faults.add(unavailable('arm', 503, { ...at(first), times: Infinity }));
          const outcome = await run(emulator, scenario.inputs);
          failed(outcome, /gave up after waiting [1-9]\d* s for Azure Resource Manager: .*\(HTTP 503, ServiceUnavailable.*re-run the task later/);
        });

        if (scenario.identityType === 'appRegistration') {
          it('when Microsoft Graph does not show the new application within replicationWaitSeconds', async () => {
            emulator.configure({ graphReplicationMs: 60_000 });
            const outcome = await run(emulator, { ...scenario.inputs, replicationWaitSeconds: '3' });
            failed(
              outcome,
              /gave up after waiting 3 s for the application [0-9a-f-]+ to replicate in Microsoft Graph: .*does not reference a valid application object.*\(HTTP 400.*replicat/,
            );
            assert.ok(outcome.durationMs < 15_000, 'the bound holds');
          });
        }

        it('when the new identity does not replicate within replicationWaitSeconds', async () => {
          emulator.configure({ principalReplicationMs: 60_000, principalTypeSkipsReplication: false });
          const outcome = await run(emulator, { ...scenario.inputs, replicationWaitSeconds: '3' });
          failed(
            outcome,
            /gave up after waiting 3 s for the identity [0-9a-f-]+ to replicate to Azure Resource Manager: .*PrincipalNotFound.*replicationWaitSeconds/,
          );
          assert.ok(outcome.durationMs < 15_000, 'the bound holds');
        });
      });
    });
  }

  describe('replication delays of up to 60 s', () => {
    for (const scenario of IDENTITY_SCENARIOS) {
      it(`are ridden out by a ${scenario.identityType} run, ending as a clean one`, async () => {
        const emulator = await Emulator.start();
        try {
          // 60 s of the delay each identity type meets first: ARM's PrincipalNotFound for a new managed
          // identity, Microsoft Graph's for a new application (its service principal then replicates to ARM
          // in the emulator's default 3 s, PrincipalNotFound despite principalType).
          emulator.configure({ principalTypeSkipsReplication: false });
          if (scenario.identityType === 'appRegistration') emulator.configure({ graphReplicationMs: 60_000 });
          else emulator.configure({ principalReplicationMs: 60_000 });
          const outcome = await run(emulator, scenario.inputs);
          succeeded(outcome);
          assertConverged(emulator, scenario);
          assert.ok(
            outcome.durationMs >= 55_000,
            `the ${scenario.identityType} run waited for replication (${Math.round(outcome.durationMs / 1000)} s of virtual time)`,
          );
        } finally {
          await emulator.stop();
        }
      });
    }
  });
});
