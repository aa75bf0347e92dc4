/**
 * What every request the clients build by hand shares: the task's user agent, the agent's network (proxy,
 * CAs) and no retries of their own (the call wrappers retry on the run's clock, src/retry.ts, so every bound
 * holds in wall time); and reading the JSON Azure's services answer.
 */
import { createDefaultHttpClient, createPipelineFromOptions, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import type { AgentNetwork } from '../network';
import { stripByteOrderMark } from '../sdkErrors';
import { VERSION } from '../version';

export const USER_AGENT = `WorkloadIdentityConnection/${VERSION}`;

/**
 * Sent on every Azure DevOps call: without it a refused credential gets a 203 or 302 sign-in page instead of
 * 401 (tests/fixtures/recordings/ado-oidctoken-invalid-token.json); every Azure SDK sends it since 2024.
 */
export const FED_AUTH_REDIRECT = { 'X-TFS-FedAuthRedirect': 'Suppress' } as const;

/** Sends one request with the task's user agent through the agent's network; failed connections reject. */
export type Send = (request: PipelineRequest) => Promise<PipelineResponse>;

export function sender(network: AgentNetwork): Send {
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: USER_AGENT }, retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(network.policy);
  const httpClient = createDefaultHttpClient();
  return (request) => pipeline.sendRequest(httpClient, request);
}

/** A JSON object from a body (a byte-order mark allowed); undefined for an empty body or one that is not JSON. */
export function parseJson(text: string | undefined | null): Record<string, unknown> | undefined {
  try {
    return text ? (JSON.parse(stripByteOrderMark(text)) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a JWT (its payload, not verified): public values such as iss, sub and exp. */
export function jwtClaims(jwt: string | undefined): Record<string, unknown> {
  return parseJson(Buffer.from(jwt?.split('.')[1] ?? '', 'base64url').toString('utf8')) ?? {};
}
