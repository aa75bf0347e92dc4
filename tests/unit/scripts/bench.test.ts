import { strict as assert } from 'node:assert';
import { dependencyLevels, peakInFlight } from '../../../scripts/bench';

const request = (startedAt: number, endedAt: number) => ({ startedAt, endedAt });

describe('bench measures', () => {
  it('count a request after another as one level deeper only when it started after that one ended', () => {
    // a and b side by side; c after both; d overlaps c.
    const log = [request(0, 10), request(1, 12), request(12, 20), request(15, 30)];
    assert.equal(dependencyLevels(log), 2);
    assert.equal(dependencyLevels([...log, request(30, 31)]), 3);
    assert.equal(dependencyLevels([]), 0);
  });

  it('find the most requests open at one moment, a request starting as another ends not counting as beside it', () => {
    assert.equal(peakInFlight([request(0, 10), request(1, 12), request(12, 20), request(15, 30)]), 2);
    assert.equal(peakInFlight([request(0, 10), request(10, 20)]), 1);
  });
});
