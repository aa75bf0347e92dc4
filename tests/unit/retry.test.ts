import { strict as assert } from 'node:assert';
import { ServiceError } from '../../src/errors';
import { waitFor } from '../../src/retry';

describe('waitFor', () => {
  const policy = { delaysMs: [100, 200, 400], maxTotalMs: 1000 };

  it('retries what is worth waiting for, with growing delays, until it succeeds', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const result = await waitFor(
      'replication',
      async () => {
        if (++calls < 4) throw new ServiceError('not yet', { code: 'PrincipalNotFound' });
        return 'done';
      },
      () => 'policy',
      policy,
      async (ms) => void pauses.push(ms),
    );
    assert.equal(result, 'done');
    assert.deepEqual(pauses, [100, 200, 400]);
  });

  it('waits as long as the service asks (Retry-After) instead of the policy\'s delay', async () => {
    const pauses: number[] = [];
    let calls = 0;
    await waitFor('throttling', async () => (++calls < 2 ? Promise.reject(new Error('429')) : 'ok'), () => 750, policy, async (ms) =>
      void pauses.push(ms),
    );
    assert.deepEqual(pauses, [750]);
  });

  it('gives up within the bound, saying what it waited for and how long', async () => {
    await assert.rejects(
      waitFor('the identity to replicate', async () => Promise.reject(new ServiceError('PrincipalNotFound', { status: 400, code: 'PrincipalNotFound' })), () => 'policy', policy, async () => undefined),
      (error: ServiceError) => {
        assert.match(error.message, /gave up after waiting 1 s for the identity to replicate/);
        assert.equal(error.code, 'PrincipalNotFound');
        return true;
      },
    );
  });

  it('does not wait when the service asks for more than the bound leaves, and says so', async () => {
    const pauses: number[] = [];
    await assert.rejects(
      waitFor('Azure DevOps', async () => Promise.reject(new ServiceError('TF400733', { status: 429 })), () => 5000, policy, async (ms) => void pauses.push(ms)),
      (error: ServiceError) => {
        assert.match(error.message, /^gave up after waiting 0 s for Azure DevOps \(the service asked to wait 5 s more, beyond this task's 1 s bound\): TF400733$/);
        assert.equal(error.status, 429);
        return true;
      },
    );
    assert.deepEqual(pauses, []);
  });

  it('raises at once what is not worth waiting for', async () => {
    let calls = 0;
    await assert.rejects(
      waitFor('x', async () => Promise.reject(new Error(`fatal ${++calls}`)), () => undefined, policy, async () => undefined),
      /fatal 1/,
    );
  });
});
