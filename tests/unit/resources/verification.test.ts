import { strict as assert } from 'node:assert';
import { awaitedFor, codeOf, verdictOf, verificationPolicy } from '../../../src/resources/verification';

describe('verification', () => {
  describe('verdictOf: the proxy answers 200 whatever the outcome', () => {
    it('reads statusCode as a name or, with enumsAsNumbers, a number', () => {
      assert.deepEqual(verdictOf({ statusCode: 'ok', result: ['Contoso'], errorMessage: '' }), { verified: true });
      assert.deepEqual(verdictOf({ statusCode: 200 as unknown as string, result: [] }), { verified: true });
      const jwt =
        'Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: AADSTS700213: No matching federated identity record found';
      assert.deepEqual(verdictOf({ statusCode: 'badRequest', errorMessage: jwt }), { verified: false, message: jwt, code: 'AADSTS700213' });
      assert.deepEqual(verdictOf({ statusCode: 400 as unknown as string, errorMessage: jwt }), { verified: false, message: jwt, code: 'AADSTS700213' });
    });
    it("finds ARM's code inside the quoted response, and copes with an answer without a message", () => {
      const arm = `Failed to query service connection API: 'https://management.azure.com/subscriptions/s?api-version=2016-06-01'. Status Code: 'Forbidden', Response from server: '{"error":{"code":"AuthorizationFailed","message":"…"}}'`;
      assert.equal(codeOf(arm), 'AuthorizationFailed');
      assert.deepEqual(verdictOf({ statusCode: 'forbidden' }), {
        verified: false,
        message: "Azure DevOps answered status 'forbidden' without a message",
        code: undefined,
      });
      assert.equal(verdictOf(null).verified, false);
    });
    it('says what each refusal waits for', () => {
      assert.equal(awaitedFor('AADSTS70021'), 'Entra ID to accept the federated credential');
      assert.equal(awaitedFor('AADSTS700213'), 'Entra ID to accept the federated credential');
      assert.equal(awaitedFor('AuthorizationFailed'), 'Azure Resource Manager to honour the role assignment');
      assert.equal(awaitedFor(undefined), 'the connection to verify');
    });
  });

  describe('verificationPolicy', () => {
    it('backs off with the time waited (a fifth of it, 1 s to 15 s), so a refusal that clears after P is seen by 1.2 × P + one delay of 1 s', () => {
      const { delaysMs, maxTotalMs } = verificationPolicy(300);
      assert.equal(maxTotalMs, 300_000);
      let waited = 0;
      for (const delay of delaysMs) {
        assert.ok(delay >= 1000 && delay <= 15_000);
        assert.ok(delay <= Math.max(1000, waited / 5) + 50, `delay ${delay} after ${waited}`);
        waited += delay;
      }
      assert.ok(delaysMs.length < 40, `${delaysMs.length} polls over 300 s`);
    });
  });
});
