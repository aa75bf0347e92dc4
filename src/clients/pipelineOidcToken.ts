/**
 * The pipeline's OIDC token for the bootstrap connection, fetched once and reused while valid.
 * AzurePipelinesCredential would ask Azure DevOps again on every getToken (docs/wire.md), which costs a round
 * trip per scope and leaves the assertion unmasked; this fetches it once and masks it at once.
 */
import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import type { Clock } from '../clock';
import { ServiceError, hintFor, type TaskError } from '../errors';
import { TRANSIENT, waitFor } from '../retry';
import { retryDelay, toTaskError } from '../sdkErrors';
import { FED_AUTH_REDIRECT, jwtClaims, parseJson, type Send } from './http';

/** The pipeline's OIDC token, fetched once and reused while valid, and the error of its last fetch. */
export interface OidcAssertion {
  get: () => Promise<string>;
  failure: () => TaskError | undefined;
  /** The issuer and subject of the last token fetched (public claims): what Entra ID matched against. */
  claims: () => { issuer?: string; subject?: string };
}

const OPERATION = 'get the pipeline OIDC token for the bootstrap connection';

export function pipelineOidcToken(
  oidcRequestUri: string,
  connectionId: string,
  accessToken: string,
  send: Send,
  register: (secret: string) => void,
  clock: Clock,
): OidcAssertion {
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let failure: TaskError | undefined;
  const fetchOnce = async (): Promise<string> => {
    const url = new URL(oidcRequestUri);
    url.searchParams.set('api-version', '7.1');
    url.searchParams.set('serviceConnectionId', connectionId);
    const response = await send(
      createPipelineRequest({
        url: url.toString(),
        method: 'POST',
        body: '{}',
        headers: createHttpHeaders({ authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', ...FED_AUTH_REDIRECT }),
      }),
    ).catch((error: unknown) => Promise.reject(toTaskError('devops', OPERATION, error, clock)));
    const body = parseJson(response.bodyAsText);
    const code = typeof body?.typeKey === 'string' ? body.typeKey : undefined;
    if (jobTokenRejected(response.status, response.headers.get('content-type'))) {
      // The sign-in page's HTML is never shown; a 401's JSON message is.
      const said = typeof body?.message === 'string' ? `: ${body.message}` : '';
      throw new ServiceError(`Azure DevOps rejected the job's access token (System.AccessToken)${said}`, {
        operation: OPERATION,
        status: response.status,
        code,
        hint: "The job token is expired or not valid for this organization: re-run the job (a token lives as long as its job), and check that the bootstrap connection's pipeline runs in this organization with its job token, not a token copied from elsewhere",
      });
    }
    const token = typeof body?.oidcToken === 'string' ? body.oidcToken : '';
    if (response.status !== 200 || !token) {
      const refusedByProxy = response.status === 407 ? "the agent's proxy refused the request" : undefined;
      throw new ServiceError(typeof body?.message === 'string' ? body.message : (refusedByProxy ?? 'Azure DevOps issued no token'), {
        operation: OPERATION,
        status: response.status,
        code,
        hint: refusedByProxy
          ? hintFor(undefined, 407, 'devops')
          : 'Check that the bootstrap connection uses workload identity federation and that this pipeline may use it',
      });
    }
    register(token);
    cached = { token, expiresAt: jwtExpiry(token, clock) };
    return token;
  };
  const get = (): Promise<string> => {
    if (cached && cached.expiresAt - clock.now() > 60_000) return Promise.resolve(cached.token);
    failure = undefined;
    // Retried here, on the run's clock, like every other call (src/retry.ts).
    pending ??= waitFor(clock, 'Azure DevOps', fetchOnce, retryDelay, TRANSIENT)
      .catch((error: unknown) => {
        failure = toTaskError('devops', OPERATION, error, clock);
        throw failure;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
  const claims = (): { issuer?: string; subject?: string } => {
    const { iss, sub } = jwtClaims(cached?.token);
    return { issuer: typeof iss === 'string' ? iss : undefined, subject: typeof sub === 'string' ? sub : undefined };
  };
  return { get, failure: () => failure, claims };
}

/**
 * How Azure DevOps refuses a job token: 401 with X-TFS-FedAuthRedirect: Suppress, else 203 or 302 with an
 * HTML sign-in page (tests/fixtures/recordings/ado-oidctoken-invalid-token.json); a 203 is a success code.
 */
export function jobTokenRejected(status: number, contentType: string | undefined): boolean {
  if (status === 401 || status === 302) return true;
  return status === 203 && !/json/i.test(contentType ?? '');
}

/** Expiry of a JWT in ms since the epoch; a token without a readable `exp` is treated as short-lived. */
export function jwtExpiry(jwt: string, clock: Pick<Clock, 'now'>): number {
  const { exp } = jwtClaims(jwt);
  return typeof exp === 'number' ? exp * 1000 : clock.now() + 5 * 60_000;
}
