import { strict as assert } from 'node:assert';
import type { AccessToken } from '@azure/core-auth';
import { devopsAuthorization, SharedCredential } from '../../../src/clients/credentials';
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
    const credential = new SharedCredential(inner, (secret) => masked.push(secret), { now: () => now });
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
    const credential = new SharedCredential(inner, () => undefined, { now: () => 0 });
    await assert.rejects(credential.getToken('s'));
    assert.equal((await credential.getToken('s')).token, 't');
  });

  it('names a failed sign-in as the sign-in, with the advice, not as the call that needed the token (issue 24, class 12)', async () => {
    const inner = {
      getToken: (): Promise<AccessToken> => Promise.reject(new Error('AADSTS90033: A transient error has occurred. Trace ID: x Correlation ID: y')),
    };
    const credential = new SharedCredential(inner, () => undefined, { now: () => 0 });
    await assert.rejects(credential.getToken('https://management.core.windows.net//.default'), (error: TaskError) => {
      assert.equal(
        error.describe(),
        'Could not sign in to Entra ID for https://management.core.windows.net/: AADSTS90033: A transient error has occurred (AADSTS90033). Entra ID had a transient failure signing in (its service status page says when it is over); re-run the task in a few minutes: it picks up from what exists',
      );
      return true;
    });
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
