import { strict as assert } from 'node:assert';
import type { AccessToken } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { devopsAuthorization, SharedCredential, tokenEndpointRefusals } from '../../../src/clients/credentials';
import type { Clock } from '../../../src/clock';
import type { TaskError } from '../../../src/errors';
import type { ProvisioningRequest } from '../../../src/request';

describe('SharedCredential', () => {
  it("asks Entra once for callers side by side, masks the token, and asks again only near its expiry on the run's clock", async () => {
    let now = 1_000_000;
    const asked: string[] = [];
    const inner = {
      getToken: async (scopes: string | string[]): Promise<AccessToken> => {
        asked.push([scopes].flat().join(' '));
        return { token: `token-${asked.length}`, expiresOnTimestamp: now + 10 * 60_000 };
      },
    };
    const masked: string[] = [];
    const credential = new SharedCredential(
      () => inner,
      (secret) => masked.push(secret),
      { now: () => now, sleep: async () => undefined },
    );
    const [a, b] = await Promise.all([credential.getToken('arm/.default'), credential.getToken('arm/.default')]);
    assert.equal(a.token, 'token-1');
    assert.equal(b.token, 'token-1');
    now += 4 * 60_000;
    assert.equal((await credential.getToken('arm/.default')).token, 'token-1', 'six minutes left: kept');
    now += 2 * 60_000;
    assert.equal((await credential.getToken('arm/.default')).token, 'token-2', 'four minutes left: renewed');
    assert.deepEqual(masked, ['token-1', 'token-2']);
  });

  it('asks again after a failure', async () => {
    let calls = 0;
    const inner = {
      getToken: async (): Promise<AccessToken> => {
        if (calls++ === 0) throw new Error('AADSTS50058');
        return { token: 't', expiresOnTimestamp: Date.parse('2100-01-01') };
      },
    };
    const credential = new SharedCredential(
      () => inner,
      () => undefined,
      { now: () => 0, sleep: async () => undefined },
    );
    await assert.rejects(credential.getToken('s'));
    assert.equal((await credential.getToken('s')).token, 't');
  });

  it('names a failed sign-in as the sign-in, with the advice, not as the call that needed the token (issue 24, class 12)', async () => {
    const inner = {
      getToken: (): Promise<AccessToken> => Promise.reject(new Error('AADSTS90033: A transient error has occurred. Trace ID: x Correlation ID: y')),
    };
    const credential = new SharedCredential(
      () => inner,
      () => undefined,
      { now: () => 0, sleep: async () => undefined },
    );
    await assert.rejects(credential.getToken('https://management.core.windows.net//.default'), (error: TaskError) => {
      assert.equal(
        error.describe(),
        'Could not sign in to Entra ID for https://management.core.windows.net/: AADSTS90033: A transient error has occurred (AADSTS90033). Entra ID had a transient failure signing in (its service status page says when it is over); re-run the task in a few minutes: it picks up from what exists',
      );
      return true;
    });
  });
});

describe("SharedCredential: freshness and the sign-in's waits", () => {
  /** A clock whose sleeps pass at once and are recorded. */
  function clock(): Clock & { pauses: number[] } {
    let now = 1_000_000;
    const pauses: number[] = [];
    return { pauses, now: () => now, sleep: async (ms) => void (pauses.push(ms), (now += ms)) };
  }

  /** A JWT (unsigned) whose exp is `expSeconds`: the expiry read on the run's clock. */
  const jwt = (expSeconds: number, n: number): string =>
    `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp: expSeconds, n })).toString('base64url')}.`;

  it("judges a token by its own exp on the run's clock, and takes a stale one from a new credential, past the old one's cache", async () => {
    const time = clock();
    let built = 0;
    // Each credential caches its first token for good, as MSAL's cache (on the machine's clock) would in a run whose clock is ahead.
    const newCredential = () => {
      const instance = ++built;
      let cachedToken: AccessToken | undefined;
      return {
        getToken: async (): Promise<AccessToken> =>
          (cachedToken ??= { token: jwt(Math.floor(time.now() / 1000) + 600, instance), expiresOnTimestamp: Date.parse('2100-01-01') }),
      };
    };
    const credential = new SharedCredential(newCredential, () => undefined, time);
    const first = await credential.getToken('499b84ac-1321-427f-aa17-267ca6975798/.default');
    await time.sleep(4 * 60_000);
    assert.equal((await credential.getToken('499b84ac-1321-427f-aa17-267ca6975798/.default')).token, first.token, 'six minutes left: kept');
    await time.sleep(2 * 60_000);
    const second = await credential.getToken('499b84ac-1321-427f-aa17-267ca6975798/.default');
    assert.notEqual(second.token, first.token, 'four minutes left: taken fresh');
    assert.equal(built, 2, 'from a new credential');
  });

  /** A credential whose token requests go through the refusals policy to a token endpoint answering `answers` in turn. */
  function throttledCredential(answers: Array<{ status: number; retryAfter?: string }>): { getToken(): Promise<AccessToken>; sent: number } {
    const endpoint = {
      sent: 0,
      getToken: async (): Promise<AccessToken> => {
        const answer = answers[Math.min(endpoint.sent++, answers.length - 1)];
        const request = createPipelineRequest({ url: 'https://login.microsoftonline.com/t/oauth2/v2.0/token', method: 'POST' });
        const response: PipelineResponse = {
          request,
          status: answer.status,
          headers: createHttpHeaders(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
          bodyAsText:
            answer.status === 200
              ? '{}'
              : JSON.stringify({
                  error: 'temporarily_unavailable',
                  error_description: 'AADSTS50196: The server terminated an operation because it encountered a client request loop.',
                }),
        };
        await tokenEndpointRefusals
          .sendRequest(request, async () => response)
          .catch(() => {
            // MSAL reports what it could not read as a network error, without status or headers.
            throw new Error('network_error: Network request failed');
          });
        return { token: 't', expiresOnTimestamp: Date.parse('2100-01-01') };
      },
    };
    return endpoint;
  }

  it('waits as long as the token endpoint asks within the bound (429, Retry-After: 5), then signs in', async () => {
    const time = clock();
    const endpoint = throttledCredential([{ status: 429, retryAfter: '5' }, { status: 200 }]);
    const credential = new SharedCredential(
      () => endpoint,
      () => undefined,
      time,
    );
    assert.equal((await credential.getToken('arm/.default')).token, 't');
    assert.deepEqual(time.pauses, [5000]);
  });

  it('gives up at once when the token endpoint asks for more than the bound (Retry-After: 3600), naming the time asked', async () => {
    const time = clock();
    const endpoint = throttledCredential([{ status: 429, retryAfter: '3600' }]);
    const credential = new SharedCredential(
      () => endpoint,
      () => undefined,
      time,
    );
    await assert.rejects(credential.getToken('arm/.default'), (error: TaskError) => {
      assert.match(
        error.describe(),
        /^Could not sign in to Entra ID for arm: gave up after waiting 0 s for Entra ID \(the service asked to wait 3600 s more, beyond this task's 30 s bound\): AADSTS50196: .* \(HTTP 429, AADSTS50196\)\. .*re-run the task later/,
      );
      return true;
    });
    assert.deepEqual(time.pauses, []);
    assert.equal(endpoint.sent, 1);
  });
});

describe('devopsAuthorization', () => {
  const request = (devopsAuth: ProvisioningRequest['devopsAuth']) => ({ devopsAuth, devops: { accessToken: 'job-token' } }) as unknown as ProvisioningRequest;
  const noCredential = () => Promise.reject(new Error('not asked'));

  it("sends the job's token as a bearer token, whatever its length", async () => {
    assert.equal(await devopsAuthorization(request({ kind: 'jobAccessToken' }), noCredential), 'Bearer job-token');
  });

  it('sends a personal access token as Basic with an empty user name', async () => {
    const header = await devopsAuthorization(request({ kind: 'personalAccessToken', token: 'pat' } as ProvisioningRequest['devopsAuth']), noCredential);
    assert.equal(header, `Basic ${Buffer.from(':pat').toString('base64')}`);
  });

  it("signs in as the bootstrap connection's identity for Azure DevOps' resource", async () => {
    const scopes: string[] = [];
    const credential = { getToken: async (scope: string | string[]) => (scopes.push(String(scope)), { token: 'entra', expiresOnTimestamp: 0 }) };
    const header = await devopsAuthorization(request({ kind: 'bootstrapIdentity' }), async () => credential);
    assert.equal(header, 'Bearer entra');
    assert.deepEqual(scopes, ['499b84ac-1321-427f-aa17-267ca6975798/.default']);
  });
});
