import { strict as assert } from 'node:assert';
import { jobTokenRejected, jwtExpiry } from '../../../src/clients/pipelineOidcToken';
import { object, recording } from '../recorded';

const jwt = (claims: object): string => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('jwtExpiry', () => {
  it("reads exp, else takes the token for short-lived on the run's clock", () => {
    const clock = { now: () => 1_000_000 };
    assert.equal(jwtExpiry(jwt({ exp: 1700000000 }), clock), 1_700_000_000_000);
    assert.equal(jwtExpiry(jwt({ sub: 'x' }), clock), 1_000_000 + 5 * 60_000);
    assert.equal(jwtExpiry('not a jwt', clock), 1_000_000 + 5 * 60_000);
  });
});

describe('jobTokenRejected', () => {
  it('reads 401, 302 and an HTML 203 as a refused job token, a JSON 203 not', () => {
    assert.equal(jobTokenRejected(401, 'application/json'), true);
    assert.equal(jobTokenRejected(302, undefined), true);
    assert.equal(jobTokenRejected(203, 'text/html'), true);
    assert.equal(jobTokenRejected(203, 'application/json; charset=utf-8'), false);
    assert.equal(jobTokenRejected(200, 'text/html'), false);
  });
});

describe('a recorded refusal of the job token (tests/fixtures/recordings/)', () => {
  it('ado-oidctoken-invalid-token', () => {
    const recorded = recording('ado-oidctoken-invalid-token');
    assert.equal(jobTokenRejected(Number(recorded.status), 'text/html; charset=utf-8'), true);
    assert.equal(jobTokenRejected(302, 'text/html'), true);
    assert.equal(jobTokenRejected(Number(object(recorded.with_suppress_header).status), 'application/json'), true);
    assert.equal(jobTokenRejected(Number(object(recorded.success).status), 'application/json'), false);
  });
});
