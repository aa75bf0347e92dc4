/**
 * One bound for every wait (issue 24): the sign-in at Entra ID, ARM's reads and a connection Azure DevOps
 * keeps preparing wait by the same rules as every other call (Retry-After honoured within the bound, given
 * up at once when it asks for more, the policy's backoff as the floor), and a token outlived by a long wait
 * is taken fresh.
 */
import { strict as assert } from 'node:assert';
import type { RequestLogEntry } from '../support/emulator';
import { throttled } from '../support/emulator/faults';
import { failed, IDENTITY_SCENARIOS, printed, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

const TOKEN = /\/oauth2\/v2\.0\/token(\?|$)/;
const INPUTS = IDENTITY_SCENARIOS[0].inputs;

/** The gap between the first request matching `matches` answered `status` and the next one, in ms. */
function waitAfter(emulator: Emulator, status: number, matches: (entry: RequestLogEntry) => boolean): number {
  const log = emulator.requests.filter(matches);
  const refused = log.findIndex((entry) => entry.status === status);
  assert.ok(refused >= 0 && refused + 1 < log.length, `a request answered ${status}, then tried again`);
  return log[refused + 1].startedAt - log[refused].endedAt;
}

const tokenRequests = (entry: RequestLogEntry): boolean => entry.service === 'login' && entry.method === 'POST' && TOKEN.test(entry.path);

describe('one bound for every wait, whole runs in process', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  afterEach(async () => {
    await emulator?.stop();
  });

  describe('the sign-in at Entra ID', () => {
    it('gives up at once when the token endpoint asks for an hour (429, Retry-After: 3600), naming the time asked', async () => {
      emulator = await Emulator.start();
      emulator.faults.add(throttled('login', 3600, { method: 'POST', path: TOKEN, times: Infinity }));
      const result = await run(emulator, INPUTS);
      failed(
        result,
        /Entra ID.*gave up after waiting 0 s for Entra ID \(the service asked to wait 3600 s more, beyond this task's 30 s bound\).*\(HTTP 429.*re-run the task later/,
      );
      assert.ok(result.durationMs < 5_000, `failed at once: ${result.durationMs} ms`);
      assert.equal(emulator.writes().length, 0, 'nothing written');
    });

    it('gives up at once on Retry-After: 40, past the 30 s bound', async () => {
      emulator = await Emulator.start();
      emulator.faults.add(throttled('login', 40, { method: 'POST', path: TOKEN }));
      const result = await run(emulator, INPUTS);
      failed(result, /gave up after waiting 0 s for Entra ID \(the service asked to wait 40 s more, beyond this task's 30 s bound\)/);
      assert.ok(result.durationMs < 5_000, `failed at once: ${result.durationMs} ms`);
    });

    it('waits as long as a Retry-After within the bound asks, then signs in', async () => {
      emulator = await Emulator.start();
      emulator.faults.add(throttled('login', 5, { method: 'POST', path: TOKEN }));
      succeeded(await run(emulator, INPUTS));
      assert.ok(waitAfter(emulator, 429, tokenRequests) >= 4_950, 'waited as long as Retry-After asked');
    });
  });

  it('takes a fresh Azure DevOps token when a wait outlives it (devOpsAuth bootstrapIdentity, 10-minute tokens)', async () => {
    // A 20-minute verification wait against 10-minute tokens (Entra's shortest configurable lifetime), past
    // their expiry and the services' 5-minute clock skew allowance.
    emulator = await Emulator.start({ accessTokenLifetimeSeconds: 600, federatedCredentialPropagationMs: 20 * 60_000 });
    const result = await run(emulator, { ...INPUTS, devOpsAuth: 'bootstrapIdentity', verifyTimeoutSeconds: '1800' });
    succeeded(result);
    assert.match(printed(result), /Verified: /);
    const refused = emulator.requests.filter((entry) => entry.service === 'devops' && entry.status === 401);
    assert.deepEqual(refused, [], 'no Azure DevOps request carried an expired token');
    const devopsTokens = emulator.requests.filter((entry) => tokenRequests(entry) && entry.status === 200).length;
    assert.ok(devopsTokens >= 3, `tokens taken fresh as they near expiry: ${devopsTokens} token requests`);
  });

  it('waits as long as Retry-After asks on the subscription and resource group reads (5 s, 25 s)', async () => {
    emulator = await Emulator.start();
    emulator.faults.add(throttled('arm', 5, { method: 'GET', path: /^\/subscriptions\/[^/?]+\?/ }));
    emulator.faults.add(throttled('arm', 25, { method: 'GET', path: /\/resourcegroups\/rg-app1-dev\?/i }));
    succeeded(await run(emulator, INPUTS));
    const read = (pattern: RegExp) => (entry: RequestLogEntry) => entry.service === 'arm' && entry.method === 'GET' && pattern.test(entry.path);
    assert.ok(waitAfter(emulator, 429, read(/^\/subscriptions\/[^/?]+\?/)) >= 4_950, 'the subscription read waited 5 s');
    assert.ok(waitAfter(emulator, 429, read(/\/resourcegroups\/rg-app1-dev\?/i)) >= 24_950, 'the resource group read waited 25 s');
  });

  it('paces a persistent 429 with Retry-After: 0 by its own backoff, and says how many tries it made', async () => {
    emulator = await Emulator.start();
    emulator.faults.add(throttled('devops', 0, { method: 'GET', path: /\/_apis\/projects\//, times: Infinity }));
    const result = await run(emulator, INPUTS);
    failed(
      result,
      /^Could not read the project 'platform': gave up after waiting 30 s for Azure DevOps \(\d+ tries, the last answered with Retry-After: 0 s; the task waited its own backoff between them\): TF400733/,
    );
    const tries = emulator.requests.filter((entry) => entry.service === 'devops' && /\/_apis\/projects\//.test(entry.path)).length;
    assert.ok(tries <= 12, `${tries} requests in 30 s`);
  });

  it('says where a 30 s wait stands: what it waits for, the time spent and the bound, every 15 s after the first 10 s, and task.setprogress (issue 23)', async () => {
    emulator = await Emulator.start({ federatedCredentialPropagationMs: 30_000 });
    const result = await run(emulator, INPUTS);
    succeeded(result);
    const progress = result.stdout.split('\n').filter((line) => /Still waiting|task\.setprogress/.test(line));
    assert.deepEqual(progress, [
      'Still waiting for Azure DevOps to verify the connection (last answer: AADSTS70025): 10 s so far, at most 300 s.',
      '##vso[task.setprogress value=3;]Waiting for Azure DevOps to verify the connection',
      'Still waiting for Azure DevOps to verify the connection (last answer: AADSTS70025): 25 s so far, at most 300 s.',
      '##vso[task.setprogress value=8;]Waiting for Azure DevOps to verify the connection',
    ]);
    assert.match(printed(result), /Verified: .* after 3\d s/);
  });

  it('ends the wait for a connection that stays InProgress with the advice to re-run later', async () => {
    emulator = await Emulator.start({ connectionReadiness: { inProgressReads: 1000 } });
    const result = await run(emulator, INPUTS);
    failed(result, /gave up after waiting 30 s for the service connection 'app1-dev' to become ready.*re-run the task later/);
  });
});
