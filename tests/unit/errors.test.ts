import { strict as assert } from 'node:assert';
import { InputError, ServiceError, hintFor, oneLine } from '../../src/errors';

describe('errors', () => {
  it('render as one line: what failed, what the service said, and the fix', () => {
    const error = new ServiceError("The client 'x' does not have authorization", {
      operation: "assign the role 'Contributor'",
      status: 403,
      code: 'AuthorizationFailed',
      correlationId: 'c0ffee',
    });
    const line = error.describe();
    assert.match(
      line,
      /^Could not assign the role 'Contributor': The client 'x' does not have authorization \(HTTP 403, AuthorizationFailed, correlation id c0ffee\)\. Grant/,
    );
    assert.match(line, /Role Based Access Control Administrator/);
  });

  it('name the input for bad input', () => {
    assert.equal(new InputError('connectionName', 'is required.').describe(), "Input 'connectionName' is required.");
  });

  it('never let service text carry a log command or a line break', () => {
    assert.equal(oneLine('bad\n##vso[task.setvariable variable=x]y'), 'bad ##vso_[task.setvariable variable=x]y');
  });

  describe('the hint table', () => {
    const cases: Array<[string, number | undefined, string, RegExp]> = [
      ['AuthorizationFailed', 403, 'arm', /Role Based Access Control Administrator or User Access Administrator/],
      ['AADSTS70021', 401, 'entra', /does not match the token's issuer and subject/],
      ['AADSTS700213', 401, 'entra', /subject.*case-sensitive/],
      ['AADSTS7000222', 401, 'entra', /client secret has expired; renew it/],
      ['AADSTS700016', 400, 'entra', /application id is not known in this tenant/],
      ['AccessCheckException', 401, 'devops', /allow scripts to access the OAuth token/],
      ['AccessCheckException', 403, 'devops', /Creator role on service connections .* Administrator role on a connection/],
      ['DuplicateServiceConnectionException', 500, 'devops', /cannot see .*pick another connectionName/],
      ['ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity', 409, 'arm', /Another run kept writing federated credentials/],
      ['PrincipalNotFound', 400, 'arm', /replicationWaitSeconds/],
      ['endpoints_resolution_error', undefined, 'entra', /bootstrap connection.*authority URL/],
    ];
    for (const [code, status, service, hint] of cases) {
      it(`says what to do about ${code}${status ? ` (HTTP ${status})` : ''}`, () => {
        assert.match(hintFor(code, status, service) ?? '', hint);
      });
    }
  });
});
