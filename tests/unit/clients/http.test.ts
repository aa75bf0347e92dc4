import { strict as assert } from 'node:assert';
import { jwtClaims, parseJson } from '../../../src/clients/http';

describe('parseJson', () => {
  it('reads an object, a byte-order mark allowed; nothing for an empty body or one that is not JSON', () => {
    assert.deepEqual(parseJson('\uFEFF{"a":1}'), { a: 1 });
    assert.equal(parseJson(''), undefined);
    assert.equal(parseJson(null), undefined);
    assert.equal(parseJson('<html>'), undefined);
  });
});

describe('jwtClaims', () => {
  it("reads a token's payload, and nothing from what is not a JWT", () => {
    const token = `e30.${Buffer.from('{"iss":"https://issuer","sub":"sc://o/p/c"}').toString('base64url')}.sig`;
    assert.deepEqual(jwtClaims(token), { iss: 'https://issuer', sub: 'sc://o/p/c' });
    assert.deepEqual(jwtClaims('opaque'), {});
    assert.deepEqual(jwtClaims(undefined), {});
  });
});
