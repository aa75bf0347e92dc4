import { strict as assert } from 'node:assert';
import { ago, lastUseFromWire, lastUseWords } from '../../../src/resources/connectionUse';

describe('connectionUse', () => {
  const now = Date.parse('2026-07-10T12:00:00Z');

  it("reads the newest execution record's pipeline and time, an empty history as never used, anything else as no record", () => {
    const body = {
      count: 1,
      value: [{ endpointId: 'x', data: { planType: 'Build', definition: { id: 1, name: 'app1-deploy' }, finishTime: '2026-07-07T12:00:00Z' } }],
    };
    assert.deepEqual(lastUseFromWire(body), { pipeline: 'app1-deploy', planType: 'Build', at: Date.parse('2026-07-07T12:00:00Z') });
    assert.equal(lastUseFromWire({ count: 0, value: [] }), null);
    assert.equal(lastUseFromWire('<html>'), undefined);
  });

  it('says when, in words', () => {
    assert.equal(ago(now - 3 * 86_400_000, now), '3 days ago');
    assert.equal(ago(now - 5 * 3_600_000, now), '5 hours ago');
    assert.equal(ago(now - 60_000, now), '1 minute ago');
    assert.equal(ago(now, now), 'just now');
    assert.equal(lastUseWords({ pipeline: 'app1-deploy', planType: 'Build', at: now - 3 * 86_400_000 }, now), 'last used 3 days ago by pipeline app1-deploy');
    assert.equal(lastUseWords(null, now), 'never used (its execution history is empty)');
    assert.equal(lastUseWords({ unread: 'HTTP 403' }, now), 'last use unknown (HTTP 403)');
  });
});
