import { strict as assert } from 'node:assert';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { DevOpsHttpError } from '../../src/clients/devops';
import { ConflictError, ServiceError } from '../../src/errors';
import { isTransient, parseRetryAfter, retryDelay, toTaskError } from '../../src/sdkErrors';
import { authorizationAnswering, msiAnswering, object, type Recording, recording } from './recorded';

describe('toTaskError', () => {
  it('reads an ARM RestError: status, code, correlation id, and maps 409 to a conflict', () => {
    const error = toTaskError('arm', 'assign', {
      name: 'RestError',
      message: 'The role assignment already exists.',
      statusCode: 409,
      code: 'RoleAssignmentExists',
      response: { headers: { get: (name: string) => (name === 'x-ms-correlation-request-id' ? 'corr-1' : undefined) } },
    });
    assert.ok(error instanceof ConflictError);
    assert.equal(error.code, 'RoleAssignmentExists');
    assert.equal(error.correlationId, 'corr-1');
  });

  it('finds the AADSTS code inside an MSAL message and gives its hint', () => {
    const error = toTaskError('entra', 'get a token', {
      name: 'AuthenticationRequiredError',
      message: 'invalid_client: AADSTS70021: No matching federated identity record found for presented assertion. Trace ID: 1\nCorrelation ID: 2',
    });
    assert.equal(error.code, 'AADSTS70021');
    assert.match(
      error.describe(),
      /^Could not get a token: AADSTS70021: No matching federated identity record found for presented assertion \(AADSTS70021\)\. The federated credential/,
    );
  });

  it('reads an Azure DevOps error body and hints at the service connection role on 403', () => {
    const error = toTaskError('devops', 'create the service connection', {
      message: 'Failed request: Forbidden(403)',
      statusCode: 403,
      result: { message: 'Access denied: needs Create permission', typeKey: 'AccessCheckException' },
    });
    assert.equal(error.message, 'Access denied: needs Create permission');
    assert.match(error.describe(), /Creator role/);
  });

  it('read a Graph client error: status, code and request id; no status when no answer came', () => {
    const error = toTaskError('graph', 'create the application', {
      statusCode: 403,
      code: 'Authorization_RequestDenied',
      requestId: 'req-1',
      message: 'Insufficient privileges to complete the operation.',
    });
    assert.equal(error.status, 403);
    assert.equal(error.correlationId, 'req-1');
    assert.match(error.describe(), /Application\.ReadWrite\.OwnedBy/);
    const signIn = toTaskError('graph', 'read', { statusCode: -1, code: 'AuthenticationError', message: 'AADSTS7000215: Invalid client secret provided.' });
    assert.equal(signIn.status, undefined);
    assert.equal(signIn.code, 'AADSTS7000215');
  });
});

describe('toTaskError, for waiting', () => {
  it("reads Retry-After from an Azure DevOps error's response headers", () => {
    const error = toTaskError(
      'devops',
      'create the service connection',
      new DevOpsHttpError(
        429,
        { message: 'TF400733: The request has been canceled', typeKey: 'RequestBlockedException' },
        createHttpHeaders({ 'retry-after': '7', 'x-vss-e2eid': 'e2e-1' }),
      ),
    );
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(error.correlationId, 'e2e-1');
    assert.match(error.describe(), /HTTP 429, RequestBlockedException.*run fewer pipelines/);
  });

  it("reads Retry-After from an ARM RestError's response", () => {
    const error = toTaskError('arm', 'create', {
      message: 'throttled',
      statusCode: 429,
      code: 'SubscriptionRequestsThrottled',
      response: { headers: { get: (name: string) => (name === 'retry-after' ? '3' : undefined) } },
    });
    assert.equal(error.retryAfterMs, 3000);
  });

  it('says a connection failed, keeping the system code', () => {
    const error = toTaskError('devops', 'read the project', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    assert.equal(error.code, 'ECONNRESET');
    assert.match(error.describe(), /^Could not read the project: the connection failed \(socket hang up\) \(ECONNRESET\)\. The connection kept being cut/);
  });

  it("reads MSAL's own code when Entra ID could not be reached at all", () => {
    const error = toTaskError('arm', 'read the subscription', {
      name: 'AuthenticationError',
      message: 'network_error: See https://aka.ms/msal.js.errors#network_error for details',
    });
    assert.equal(error.code, 'network_error');
    assert.match(error.describe(), /Entra ID could not be reached/);
  });
});

describe('isTransient', () => {
  const failure = (status?: number, code?: string) => new ServiceError('x', { status, code });

  it('waits out throttling, timeouts, 5xx and dropped connections', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) assert.ok(isTransient(failure(status)), `HTTP ${status}`);
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED']) assert.ok(isTransient(failure(undefined, code)), code);
  });

  it('does not wait for what no wait clears', () => {
    for (const status of [400, 401, 403, 404, 409, 501, 505]) assert.ok(!isTransient(failure(status)), `HTTP ${status}`);
    assert.ok(!isTransient(failure(500, 'DuplicateServiceConnectionException')), 'a duplicate name, although Azure DevOps says 500');
    assert.ok(!isTransient(failure(undefined, 'ENOTFOUND')), 'a host that does not exist');
    assert.ok(!isTransient(failure()));
  });
});

describe('parseRetryAfter', () => {
  it("reads seconds, and HTTP dates against the run's clock", () => {
    assert.equal(parseRetryAfter('0'), 0);
    assert.equal(parseRetryAfter('12'), 12_000);
    const clock = { now: () => Date.parse('Wed, 21 Oct 2026 07:28:00 GMT') };
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT', clock), 10_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', clock), 0, 'a date gone by: at once');
    assert.equal(parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT'), undefined, 'no clock, no date');
  });

  it('reads an HTTP-date Retry-After of a failure on the clock it is given', () => {
    const clock = { now: () => Date.parse('Wed, 21 Oct 2026 07:28:00 GMT') };
    const error = toTaskError(
      'arm',
      'create',
      {
        statusCode: 429,
        message: 'throttled',
        response: { headers: { get: (name: string) => (name === 'retry-after' ? 'Wed, 21 Oct 2026 07:28:03 GMT' : undefined) } },
      },
      clock,
    );
    assert.equal(error.retryAfterMs, 3000);
  });

  it('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('retryDelay', () => {
  it('waits as long as Retry-After asks, else as the policy says, for what waiting clears', () => {
    assert.equal(retryDelay(new ServiceError('x', { status: 429, retryAfterMs: 7000 })), 7000);
    assert.equal(retryDelay(new ServiceError('x', { status: 503 })), 'policy');
    assert.equal(retryDelay(new ServiceError('x', { code: 'ECONNRESET' })), 'policy');
  });

  it('does not wait for a lasting failure, nor for what is not a TaskError', () => {
    assert.equal(retryDelay(new ServiceError('x', { status: 403, retryAfterMs: 7000 })), undefined);
    assert.equal(retryDelay(new ServiceError('x', { status: 500, code: 'DuplicateServiceConnectionException' })), undefined);
    assert.equal(retryDelay(new Error('x')), undefined);
  });
});

describe('recorded errors, as each service and SDK throws them (tests/fixtures/recordings/)', () => {
  /** The authorization SDK's error for a role assignment write answered by the recording, as the task reads it. */
  const roleAssignmentRefused = async (recorded: Recording) => {
    const error = await authorizationAnswering(recorded)
      .roleAssignments.create('subscriptions/sub', 'name', { roleDefinitionId: 'r', principalId: 'p' })
      .catch((e: unknown) => e);
    return toTaskError('arm', 'assign the role', error);
  };

  it('ado-error-project-not-found-by-name', () => {
    const recorded = recording('ado-error-project-not-found-by-name');
    const failure = toTaskError('devops', 'read the project', { statusCode: 404, result: recorded.body, message: 'x' });
    assert.equal(failure.code, 'ProjectDoesNotExistWithNameException');
    assert.match(failure.hint ?? '', /Check the project name/);
  });

  it('ado-serviceendpoint-duplicate-name', () => {
    const body = object(recording('ado-serviceendpoint-duplicate-name').body);
    // The status is not recorded (400, 409 and 500 are reported): the typeKey decides, whatever the status.
    for (const statusCode of [400, 409, 500]) {
      const failure = toTaskError('devops', 'create the service connection', { statusCode, result: body, message: String(body.message) });
      assert.equal(failure.code, 'DuplicateServiceConnectionException');
      assert.match(failure.hint ?? '', /User or Administrator/);
    }
  });

  it('arm-authorization-roleassignment-put-400-principalnotfound', async () => {
    const failure = await roleAssignmentRefused(recording('arm-authorization-roleassignment-put-400-principalnotfound'));
    assert.equal(failure.status, 400);
    assert.equal(failure.code, 'PrincipalNotFound');
  });

  it('arm-authorization-roleassignment-put-409-exists', async () => {
    const failure = await roleAssignmentRefused(recording('arm-authorization-roleassignment-put-409-exists'));
    assert.equal(failure.code, 'RoleAssignmentExists');
    assert.equal(failure.name, 'ConflictError');
  });

  it('arm-msi-fic-put-409-concurrent', async () => {
    const recorded = recording('arm-msi-fic-put-409-concurrent');
    const error = await msiAnswering(recorded, 409)
      .federatedIdentityCredentials.createOrUpdate('rg', 'id', 'fic', { issuer: 'i', subject: 's', audiences: ['a'] })
      .catch((e: unknown) => e);
    assert.equal(toTaskError('arm', 'write the credential', error).code, 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity');
  });

  it('entra-token-fic-mismatch', () => {
    const body = object(recording('entra-token-fic-mismatch').body);
    // MSAL folds the answer into its message: "invalid_client: AADSTS700211: …".
    const failure = toTaskError('entra', 'get a token', { message: `${String(body.error)}: ${String(body.error_description)}` });
    assert.equal(failure.code, 'AADSTS700211');
    assert.match(failure.hint ?? '', /issuer/);
    for (const code of ['AADSTS700213', 'AADSTS70025']) assert.ok(toTaskError('entra', 'get a token', { message: `invalid_client: ${code}: x.` }).hint);
  });
});
