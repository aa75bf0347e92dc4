import { strict as assert } from 'node:assert';
import { runPlan } from '../../src/engine';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Results {
  a: number;
  b: number;
  c: number;
  d: number;
}

describe('runPlan', () => {
  it('starts independent steps together and a step only after all it needs', async () => {
    const events: string[] = [];
    const step = (id: string, value: number, ms: number) => async () => {
      events.push(`start ${id}`);
      await tick(ms);
      events.push(`end ${id}`);
      return value;
    };
    const result = await runPlan<Results>(
      [
        { id: 'a', needs: [] },
        { id: 'b', needs: [] },
        { id: 'c', needs: ['a', 'b'] },
        { id: 'd', needs: ['a'] },
      ],
      {
        a: step('a', 1, 5),
        b: step('b', 2, 20),
        c: async (done) => done.a + done.b,
        d: async (done) => {
          events.push('start d');
          return done.a * 10;
        },
      },
    );
    assert.deepEqual(result, { a: 1, b: 2, c: 3, d: 10 });
    assert.deepEqual(events.slice(0, 2), ['start a', 'start b'], 'a and b start at once');
    assert.ok(events.indexOf('start d') < events.indexOf('end b'), 'd does not wait for b');
  });

  it('starts nothing after the first failure, lets running steps finish, and raises that failure', async () => {
    const ran: string[] = [];
    const failure = new Error('a failed');
    await assert.rejects(
      runPlan<Results>(
        [
          { id: 'a', needs: [] },
          { id: 'b', needs: [] },
          { id: 'c', needs: ['b'] },
          { id: 'd', needs: ['a'] },
        ],
        {
          a: async () => {
            throw failure;
          },
          b: async () => {
            await tick(10);
            ran.push('b');
            return 2;
          },
          c: async () => {
            ran.push('c');
            return 3;
          },
          d: async () => {
            ran.push('d');
            return 4;
          },
        },
      ),
      (error) => error === failure,
    );
    assert.deepEqual(ran, ['b']);
  });

  it('reports, of steps failing side by side, the one first in the plan, whichever failed first', async () => {
    const fundamental = new Error('the management group does not exist');
    await assert.rejects(
      runPlan<Results>(
        [
          { id: 'a', needs: [] },
          { id: 'b', needs: [] },
        ],
        {
          a: async () => {
            await tick(10);
            throw fundamental;
          },
          b: async () => {
            throw new Error('no right to read its roles');
          },
        },
      ),
      (error) => error === fundamental,
    );
  });

  it('refuses a plan with a cycle or an unknown step', async () => {
    await assert.rejects(
      runPlan<Results>(
        [
          { id: 'a', needs: ['b'] },
          { id: 'b', needs: ['a'] },
        ],
        { a: async () => 1, b: async () => 2 },
      ),
      /cycle/,
    );
  });
});
