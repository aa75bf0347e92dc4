import { strict as assert } from 'node:assert';
import type { Clock } from '../../src/clock';
import { ServiceError } from '../../src/errors';
import { describeProgress, reportingWaits, waitFor, type WaitPolicy, type WaitProgress } from '../../src/retry';

/** A clock whose sleeps pass at once and are recorded; `cost` is how long each attempt takes. */
function virtualClock(): Clock & { pauses: number[]; advance(ms: number): void } {
  let now = 1_000_000;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => now,
    sleep: async (ms) => {
      pauses.push(ms);
      now += ms;
    },
    advance: (ms) => void (now += ms),
  };
}

/** A wait (its policy `outer`) around another whose every try fails with `error`, asking for `asked`. */
function nested(clock: Clock, inner: { what: string; error: () => Error; asked: number | 'policy'; policy: WaitPolicy }, outer: WaitPolicy): Promise<unknown> {
  const attempt = async () => Promise.reject(inner.error());
  return waitFor(
    clock,
    'the outer wait',
    () => waitFor(clock, inner.what, attempt, () => inner.asked, inner.policy),
    () => 'policy',
    outer,
  );
}

describe('waitFor', () => {
  const policy = { delaysMs: [100, 200, 400], maxTotalMs: 1000 };

  it('retries what is worth waiting for, with growing delays, until it succeeds', async () => {
    const clock = virtualClock();
    let calls = 0;
    const result = await waitFor(
      clock,
      'replication',
      async () => {
        if (++calls < 4) throw new ServiceError('not yet', { code: 'PrincipalNotFound' });
        return 'done';
      },
      () => 'policy',
      policy,
    );
    assert.equal(result, 'done');
    assert.deepEqual(clock.pauses, [100, 200, 400]);
  });

  it("waits as long as the service asks (Retry-After) instead of the policy's delay", async () => {
    const clock = virtualClock();
    let calls = 0;
    await waitFor(
      clock,
      'throttling',
      async () => (++calls < 2 ? Promise.reject(new Error('429')) : 'ok'),
      () => 750,
      policy,
    );
    assert.deepEqual(clock.pauses, [750]);
  });

  it('gives up within the bound, saying what it waited for and how long', async () => {
    const clock = virtualClock();
    await assert.rejects(
      waitFor(
        clock,
        'the identity to replicate',
        async () => Promise.reject(new ServiceError('PrincipalNotFound', { status: 400, code: 'PrincipalNotFound' })),
        () => 'policy',
        policy,
      ),
      (error: ServiceError) => {
        assert.match(error.message, /gave up after waiting 1 s for the identity to replicate/);
        assert.equal(error.code, 'PrincipalNotFound');
        return true;
      },
    );
  });

  it('counts the time the attempts themselves take against the bound, in wall time', async () => {
    const clock = virtualClock();
    let calls = 0;
    await assert.rejects(
      waitFor(
        clock,
        'Microsoft Graph',
        async () => {
          calls++;
          clock.advance(400);
          throw new ServiceError('boom', { status: 500 });
        },
        () => 'policy',
        policy,
      ),
      /gave up after waiting 1 s for Microsoft Graph/,
    );
    // 400 + 100 + 400 = 900, then 100 (not 200) to start the last try at the deadline, 1000.
    assert.equal(calls, 3);
  });

  it('never outlives the deadline of the wait it runs inside', async () => {
    const clock = virtualClock();
    let inner = 0;
    await assert.rejects(
      nested(
        clock,
        {
          what: 'Azure DevOps',
          error: () => (inner++, new ServiceError('busy', { status: 503 })),
          asked: 'policy',
          policy: { delaysMs: [300], maxTotalMs: 30_000 },
        },
        { delaysMs: [100], maxTotalMs: 1000 },
      ),
      /gave up/,
    );
    assert.ok(clock.now() - 1_000_000 <= 1000, `waited ${clock.now() - 1_000_000} ms in all`);
    assert.ok(clock.pauses.every((ms) => ms <= 300));
    assert.ok(inner <= 6, `${inner} attempts`);
  });

  it('does not wait when the service asks for more than the bound leaves, and says so', async () => {
    const clock = virtualClock();
    await assert.rejects(
      waitFor(
        clock,
        'Azure DevOps',
        async () => Promise.reject(new ServiceError('TF400733', { status: 429 })),
        () => 5000,
        policy,
      ),
      (error: ServiceError) => {
        assert.match(
          error.message,
          /^gave up after waiting 0 s for Azure DevOps \(the service asked to wait 5 s more, beyond this task's 1 s bound\): TF400733$/,
        );
        assert.equal(error.status, 429);
        return true;
      },
    );
    assert.deepEqual(clock.pauses, []);
  });

  it("takes the policy's backoff as the floor when the service asks for no wait (Retry-After: 0), and says what happened", async () => {
    const clock = virtualClock();
    let calls = 0;
    await assert.rejects(
      waitFor(
        clock,
        'Azure DevOps',
        async () => (calls++, Promise.reject(new ServiceError('TF400733', { status: 429 }))),
        () => 0,
        policy,
      ),
      (error: ServiceError) => {
        assert.match(
          error.message,
          /^gave up after waiting 1 s for Azure DevOps \(5 tries, the last answered with Retry-After: 0 s; the task waited its own backoff between them\): TF400733$/,
        );
        return true;
      },
    );
    // 100 + 200 + 400 + 300 (cut short at the deadline): not thousands of tries.
    assert.deepEqual(clock.pauses, [100, 200, 400, 300]);
    assert.equal(calls, 5);
  });

  it('names the time asked for when it exceeds what the wait around it leaves', async () => {
    const clock = virtualClock();
    await assert.rejects(
      nested(
        clock,
        { what: 'Entra ID', error: () => new ServiceError('AADSTS50196', { status: 429 }), asked: 3_600_000, policy: { delaysMs: [500], maxTotalMs: 30_000 } },
        { delaysMs: [100], maxTotalMs: 10_000 },
      ),
      /: gave up after waiting 0 s for Entra ID \(the service asked to wait 3600 s more, beyond the 10 s left of the wait around it\): AADSTS50196$/,
    );
    assert.deepEqual(clock.pauses, []);
  });

  it('never retries what a wait inside it has given up on: the outer wait would only repeat it', async () => {
    const clock = virtualClock();
    let inner = 0;
    await assert.rejects(
      nested(
        clock,
        { what: 'Entra ID', error: () => (inner++, new ServiceError('busy', { status: 503 })), asked: 'policy', policy: { delaysMs: [100], maxTotalMs: 300 } },
        { delaysMs: [100], maxTotalMs: 30_000 },
      ),
      /: gave up after waiting 0 s for Entra ID: busy$/,
    );
    assert.equal(inner, 4);
    assert.deepEqual(clock.pauses, [100, 100, 100]);
  });

  it('raises at once what is not worth waiting for', async () => {
    const clock = virtualClock();
    let calls = 0;
    await assert.rejects(
      waitFor(
        clock,
        'x',
        async () => Promise.reject(new Error(`fatal ${++calls}`)),
        () => undefined,
        policy,
      ),
      /fatal 1/,
    );
  });
});

describe('waitFor: progress of a long wait (issue 23)', () => {
  it('says nothing for 10 s, then what it waits for, the time spent and the bound about every 15 s, waking between backoffs to say so', async () => {
    const clock = virtualClock();
    const reports: WaitProgress[] = [];
    let calls = 0;
    await reportingWaits(
      (progress) => void reports.push(progress),
      () =>
        waitFor(
          clock,
          'the identity to replicate',
          async () => {
            if (++calls < 5) throw new ServiceError('not yet', { code: 'PrincipalNotFound' });
          },
          () => 'policy',
          { delaysMs: [1000, 2000, 4000, 30_000], maxTotalMs: 120_000 },
        ),
    );
    assert.deepEqual(
      reports.map((r) => [r.waitedMs, r.boundMs, r.last]),
      [
        [10_000, 120_000, 'PrincipalNotFound'],
        [25_000, 120_000, 'PrincipalNotFound'],
      ],
    );
    assert.deepEqual(clock.pauses, [1000, 2000, 4000, 3000, 15_000, 12_000], "the 30 s backoff, cut at each report's time");
    assert.deepEqual(describeProgress(reports[1]), {
      line: 'Still waiting for the identity to replicate (last answer: PrincipalNotFound): 25 s so far, at most 120 s.',
      percent: 20,
      operation: 'Waiting for the identity to replicate',
    });
  });

  it('reports nothing for a wait shorter than 10 s, and sleeps as it did without a sink', async () => {
    const clock = virtualClock();
    const reports: WaitProgress[] = [];
    let calls = 0;
    const attempt = async (): Promise<void> => {
      if (++calls < 4) throw new Error('503');
    };
    await reportingWaits(
      (p) => void reports.push(p),
      () => waitFor(clock, 'Azure DevOps', attempt, () => 'policy', policy),
    );
    assert.deepEqual(reports, []);
    assert.deepEqual(clock.pauses, [100, 200, 400]);
  });
  const policy = { delaysMs: [100, 200, 400], maxTotalMs: 1000 };
});
