import { strict as assert } from 'node:assert';
import { graphCall, isReplicationLag, odataKey } from '../../../src/clients/graph';
import type { Clock } from '../../../src/clock';
import { ServiceError, type TaskError } from '../../../src/errors';

/** A clock whose sleeps pass at once. */
function virtualClock(): Clock {
  let now = 0;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

describe('Graph helpers', () => {
  it('quote an OData key, doubling quotes, safe in a URL path', () => {
    assert.equal(odataKey('wic-0123'), "'wic-0123'");
    assert.equal(odataKey("o'brien"), "'o''brien'");
    assert.equal(odataKey('a/b c'), "'a%2Fb%20c'");
  });

  it('take only 404 Request_ResourceNotFound for replication lag', () => {
    assert.ok(isReplicationLag(new ServiceError('gone', { status: 404, code: 'Request_ResourceNotFound' })));
    assert.ok(!isReplicationLag(new ServiceError('no', { status: 403, code: 'Authorization_RequestDenied' })));
    assert.ok(!isReplicationLag(new ServiceError('no', { status: 404, code: 'NotFound' })));
  });
});

describe('graphCall', () => {
  it('sends again a request that got no answer, and a throttled one', async () => {
    // GraphError's shape: statusCode (-1 when no answer came), code, the response's headers.
    const failures: Error[] = [
      Object.assign(new Error('socket hang up'), { statusCode: -1 }),
      Object.assign(new Error('slow down'), {
        statusCode: 429,
        code: 'TooManyRequests',
        headers: { get: (name: string) => (name === 'retry-after' ? '2' : null) },
      }),
    ];
    const clock = virtualClock();
    const answer = await graphCall({ clock }, 'read the application', async () => {
      const failure = failures.shift();
      if (failure) throw failure;
      return 'found';
    });
    assert.equal(answer, 'found');
    assert.equal(clock.now(), 500 + 2000, "the policy's first delay, then what Retry-After asked");
  });

  it('fails at once, naming the operation, for a refusal', async () => {
    let calls = 0;
    await assert.rejects(
      graphCall({ clock: virtualClock() }, 'create the application', () => {
        calls++;
        return Promise.reject(Object.assign(new Error('Insufficient privileges'), { statusCode: 403, code: 'Authorization_RequestDenied' }));
      }),
      (error: TaskError) => error.operation === 'create the application' && error.status === 403,
    );
    assert.equal(calls, 1);
  });
});
