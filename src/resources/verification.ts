/**
 * Verification: Azure DevOps tries the connection the way the web UI's "Verify" does (docs/wire.md,
 * "Verification"): the service endpoint proxy, POST {org}/{project}/_apis/serviceendpoint/endpointproxy?endpointId={id}
 * with the data source TestConnection (as azure-devops-node-api executeServiceEndpointRequest sends it, 7.2-preview.1,
 * location cc63bb57-2a5f-4a7a-b79c-c142d308657e; tests/fixtures/contracts/ado-serviceendpoint-7.2
 * "Endpointproxy_Execute Service Endpoint Request"). Azure DevOps then requests an OIDC token for the
 * connection, exchanges it at Entra ID and reads the connection's scope at Azure Resource Manager. It answers
 * HTTP 200 whatever the outcome: `statusCode` is an HttpStatusCode name ("ok", "badRequest", "forbidden"), or
 * its number when the caller asked for enumsAsNumbers; `errorMessage` carries Entra's or ARM's words, e.g.
 * "Failed to obtain the Json Web Token(JWT) using service principal client ID. Exception message: AADSTS700213: …".
 *
 * A new federated credential takes seconds to minutes to be accepted by Entra ID, a new role assignment to be
 * honoured by ARM, so a refusal is asked again, with backoff, until verifyTimeoutSeconds; past it the run
 * fails with Azure DevOps' last answer. Nothing is removed: a re-run verifies again.
 */
import type { ServiceEndpointRequest, ServiceEndpointRequestResult } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from '../clients';
import { hintFor, ServiceError, type TaskError } from '../errors';
import { waitFor, type WaitPolicy } from '../retry';
import { devops } from '../clients/devops';

/** The connection to verify, and the words for the log. */
export interface VerificationTarget {
  projectId: string;
  connectionId: string;
  connectionName: string;
  /** Who signs in: "managed identity 'id-app1' (client id …)". */
  signsInAs: string;
  /** What the token reaches: "subscription 'Contoso' (…)". */
  reaches: string;
}

/** What one answer of the endpoint proxy says. */
export type Verdict = { verified: true } | { verified: false; message: string; code?: string };

/** What azure-devops-node-api's executeServiceEndpointRequest asks for; released at 7.1 (docs/wire.md). */
const ENDPOINT_PROXY_API = '7.2-preview.1';

/** The body the web UI sends for "Verify": only the data source's name (docs/wire.md). */
const TEST_CONNECTION: ServiceEndpointRequest = { dataSourceDetails: { dataSourceName: 'TestConnection' } };

/** HttpStatusCode 200, as a name or (enumsAsNumbers) a number. */
function isOk(statusCode: unknown): boolean {
  return statusCode === 200 || (typeof statusCode === 'string' && /^(ok|200)$/i.test(statusCode.trim()));
}

/** The verdict of one proxy answer (pure). */
export function verdictOf(result: ServiceEndpointRequestResult | null | undefined): Verdict {
  const statusCode: unknown = result?.statusCode;
  const message = (result?.errorMessage ?? '').trim();
  if (isOk(statusCode) && !message) return { verified: true };
  return {
    verified: false,
    message:
      message || `Azure DevOps answered status '${typeof statusCode === 'string' || typeof statusCode === 'number' ? statusCode : 'none'}' without a message`,
    code: codeOf(message),
  };
}

/**
 * The code a refusal names: an AADSTS number from Entra ID, else ARM's error code inside the quoted
 * response ("Response from server: '{"error":{"code":"AuthorizationFailed",…}}'"), else none.
 */
export function codeOf(message: string): string | undefined {
  const aadsts = /AADSTS(\d+)/.exec(message);
  if (aadsts) return `AADSTS${aadsts[1]}`;
  const arm = /"code"\s*:\s*"([A-Za-z][\w.]*)"/.exec(message);
  return arm?.[1];
}

/** What a refusal with this code is waiting for, in words for the log. */
export function awaitedFor(code: string | undefined): string {
  if (code && /^AADSTS(700213|70021|700211|700212|70025)$/.test(code)) return 'Entra ID to accept the federated credential';
  if (code && /^AADSTS(700016|7000229)$/.test(code)) return 'Entra ID to replicate the identity';
  if (code === 'AuthorizationFailed' || code === 'LinkedAuthorizationFailed') return 'Azure Resource Manager to honour the role assignment';
  return 'the connection to verify';
}

/**
 * Backoff that grows with the time already waited (a fifth of it, between 1 s and 15 s): a refusal that
 * clears after P seconds is seen verified by about 1.2 × P plus one round trip, with a few dozen requests
 * at most over the longest bound.
 */
export function verificationPolicy(timeoutSeconds: number): WaitPolicy {
  const delaysMs: number[] = [];
  for (let waited = 0; waited < timeoutSeconds * 1000 && delaysMs.length < 200;) {
    const delay = Math.min(15_000, Math.max(1000, Math.round(waited / 5 / 100) * 100));
    delaysMs.push(delay);
    waited += delay;
  }
  return { delaysMs: delaysMs.length > 0 ? delaysMs : [1000], maxTotalMs: timeoutSeconds * 1000 };
}

/** A refusal of the proxy, kept while waiting: the last one becomes the run's failure. */
class NotVerified extends ServiceError {}

/**
 * Asks Azure DevOps to verify the connection until it is verified or `timeoutSeconds` have passed; `log`
 * hears what is awaited whenever that changes. Returns how long it took and how many requests it sent.
 */
export async function verifyConnection(
  clients: Clients,
  target: VerificationTarget,
  timeoutSeconds: number,
  log: (line: string) => void,
): Promise<{ elapsedMs: number; requests: number }> {
  const started = clients.clock.now();
  const operation = `verify the service connection '${target.connectionName}'`;
  let requests = 0;
  let lastAwaited: string | undefined;
  await waitFor(
    clients.clock,
    `Azure DevOps to verify the connection`,
    async () => {
      requests += 1;
      const result = await devops(clients, operation, () =>
        clients.devops.request<ServiceEndpointRequestResult>({
          method: 'POST',
          path: `${encodeURIComponent(target.projectId)}/_apis/serviceendpoint/endpointproxy`,
          apiVersion: ENDPOINT_PROXY_API,
          query: { endpointId: target.connectionId },
          body: TEST_CONNECTION,
          nullWhenNotFound: true,
        }),
      ).catch((error: unknown) => Promise.reject(refusedProxy(error as TaskError)));
      const verdict = verdictOf(result);
      if (verdict.verified) return;
      const awaited = awaitedFor(verdict.code);
      if (awaited !== lastAwaited) {
        lastAwaited = awaited;
        log(`Waiting for ${awaited} (Azure DevOps answered ${verdict.code ?? 'a refusal'}); asking again for up to ${timeoutSeconds} s.`);
      }
      throw new NotVerified(`Azure DevOps answered: ${verdict.message}`, {
        operation,
        code: verdict.code,
        hint: hintFor(`verify:${verdict.code ?? ''}`) ?? hintFor('verify:'),
      });
    },
    (error) => (error instanceof NotVerified ? 'policy' : undefined),
    verificationPolicy(timeoutSeconds),
  );
  return { elapsedMs: clients.clock.now() - started, requests };
}

/** The proxy itself refused the caller (403): the identity of devOpsAuth may not use the connection. */
function refusedProxy(error: TaskError): TaskError {
  if (error.status !== 403) return error;
  return new ServiceError(error.message, { ...error, hint: hintFor('verify:HTTP403') });
}
