/**
 * Turns what the SDKs throw into our error family. Each SDK has its own shape:
 * - @azure/core-rest-pipeline RestError: statusCode, code (ARM `error.code`, or the system error code of
 *   a failed connection), response headers;
 * - @azure/identity / MSAL: the AADSTS code only inside the message ("AADSTS70021: No matching …");
 * - Azure DevOps (src/clients/devops.ts DevOpsHttpError, shaped like azure-devops-node-api's errors):
 *   statusCode, the parsed body in `result` (`{message, typeKey}`) and the response headers in
 *   `response.headers`; a failed connection is Node's own error with `code` (ECONNRESET, …);
 * - @microsoft/microsoft-graph-client GraphError: statusCode (-1 when no response arrived), code (Graph's
 *   `error.code`), requestId (`innerError.request-id`).
 */
import type { Clock } from './clock';
import { ConflictError, ServiceError, TaskError, hintsFor } from './errors';

export type Service = 'arm' | 'entra' | 'devops' | 'graph';

interface LooseError {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  requestId?: string | null;
  result?: { message?: string; typeKey?: string; typeName?: string } | null;
  response?: { headers?: { get?(name: string): string | undefined }; bodyAsText?: string | null };
  /** GraphError: the response's headers (a fetch Headers). */
  headers?: { get?(name: string): string | null };
  request?: { headers?: { get?(name: string): string | undefined } };
}

/** Connection failures worth another try: the request may not have reached the service, or its answer was lost. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ESOCKETTIMEDOUT']);

/**
 * Errors no wait will clear even though their status says 5xx: Azure DevOps reports a duplicate connection
 * name as 500 DuplicateServiceConnectionException.
 */
const PERMANENT_CODES = new Set(['DuplicateServiceConnectionException']);

/** The services by the names a user knows them by. */
const SERVICE_NAMES: Record<Service, string> = {
  arm: 'Azure Resource Manager',
  entra: 'Entra ID',
  devops: 'Azure DevOps',
  graph: 'Microsoft Graph',
};

/**
 * An answer whose body is not the JSON the API promises: a proxy's or sign-in page with 200 (Azure DevOps
 * answers a refused credential with 203 and its sign-in page), or JSON cut short. The SDKs read such a body
 * as "no result" (typed-rest-client's RestClient.processResponse leaves `result` null when JSON.parse
 * fails), which the task would take for absence; src/clients/ raises this instead.
 */
class UnreadableAnswer extends Error {
  constructor(
    readonly service: Service,
    readonly statusCode: number,
    readonly contentType: string,
    readonly text: string,
  ) {
    super(`${SERVICE_NAMES[service]} answered HTTP ${statusCode} with ${contentType || 'no content type'}, not JSON: '${firstWords(text)}'`);
    this.name = 'UnreadableAnswer';
  }
}

/** Raises UnreadableAnswer for a body that is text but not JSON (an empty body is no answer, not a wrong one). */
export function assertReadable(service: Service, statusCode: number, contentType: string | undefined, text: string | null | undefined): void {
  if (!text || text.trim() === '') return;
  try {
    JSON.parse(stripByteOrderMark(text));
  } catch {
    throw new UnreadableAnswer(service, statusCode, contentType ?? '', text);
  }
}

/**
 * Azure DevOps' host-level errors start their JSON with a UTF-8 byte-order mark
 * (tests/fixtures/recordings/ado-error-503-collection-stopped-bom.json); JSON.parse refuses it.
 */
export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const UNREADABLE_HINTS: Record<Service, string> = {
  devops:
    "Something other than Azure DevOps answered (a proxy's or sign-in page), or the credential of devOpsAuth was refused: check organizationUrl, the agent's proxy and the credential, then re-run",
  arm: "Something other than Azure Resource Manager answered (a proxy's or sign-in page): check the agent's proxy and the bootstrap connection's Resource Manager URL, then re-run",
  graph:
    "Something other than Microsoft Graph answered (a proxy's or sign-in page): check the agent's proxy and the bootstrap connection's Graph URL, then re-run",
  entra: "Something other than Entra ID answered (a proxy's or sign-in page): check the agent's proxy and the bootstrap connection's authority, then re-run",
};

/** Markup turned into its visible text: scripts, styles and tags dropped, the common entities decoded. */
function withoutMarkup(text: string): string {
  if (!/<\s*(!doctype|html|head|body|title|div|p|br|span|h\d|script|style|meta)\b/i.test(text)) return text;
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1]?.trim();
  const visible = decodeEntities(
    text
      .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<[^>]*>/g, ' '),
  )
    .replace(/\s+/g, ' ')
    .trim();
  if (!title) return visible;
  const name = decodeEntities(title).replace(/\s+/g, ' ');
  return visible.startsWith(name) ? visible : `${name}: ${visible}`.replace(/: $/, '');
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '‹', gt: '›', quot: '"', apos: "'", nbsp: ' ' };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity[1].toLowerCase() === 'x' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      const char = Number.isFinite(code) ? String.fromCodePoint(code) : whole;
      return char === '<' ? '‹' : char === '>' ? '›' : char;
    }
    return named[entity.toLowerCase()] ?? whole;
  });
}

/** The first words of a body, markup stripped, for a one-line error. */
function firstWords(text: string): string {
  const plain = withoutMarkup(text).replace(/\s+/g, ' ').trim();
  return plain.length > 120 ? `${plain.slice(0, 120)}…` : plain;
}

/**
 * `clock` reads a Retry-After given as an HTTP date against the run's time; without it only a delay in
 * seconds is read (errors made up by the task itself carry no header).
 */
export function toTaskError(service: Service, operation: string, error: unknown, clock?: Pick<Clock, 'now'>): TaskError {
  if (error instanceof TaskError) return error;
  if (error instanceof UnreadableAnswer) {
    return new ServiceError(error.message, { operation, status: error.statusCode, code: 'UnreadableAnswer', hint: UNREADABLE_HINTS[error.service] });
  }
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as LooseError;
  // The Graph client wraps what its middleware throws in a GraphError (statusCode -1) whose code is the
  // thrown error's name (GraphErrorHandler.constructError).
  if (e.name === 'GraphError' && e.code === 'UnreadableAnswer') {
    return new ServiceError(e.message ?? 'Microsoft Graph answered something that is not JSON', {
      operation,
      code: 'UnreadableAnswer',
      hint: UNREADABLE_HINTS.graph,
    });
  }
  // The Graph client reports a request that never got an answer as statusCode -1.
  const status = e.statusCode !== undefined && e.statusCode > 0 ? e.statusCode : undefined;
  const aadsts = /AADSTS(\d+)/.exec(e.message ?? '');
  // MSAL's own failures (no AADSTS from Entra) lead their message with a code: "network_error: …". A Graph
  // client error without an answer (statusCode -1) carries the JavaScript error's name as its code.
  const msal = /^([a-z]+(?:_[a-z]+)*_error):/.exec(e.message ?? '');
  const code = aadsts ? `AADSTS${aadsts[1]}` : e.statusCode === -1 ? undefined : (e.code ?? e.result?.typeKey ?? msal?.[1] ?? undefined);
  const headers = e.response?.headers;
  const correlationId =
    headers?.get?.('x-ms-correlation-request-id') ?? headers?.get?.('request-id') ?? headers?.get?.('x-vss-e2eid') ?? e.requestId ?? undefined;
  const retryAfterMs = parseRetryAfter(headers?.get?.('retry-after') ?? e.headers?.get?.('retry-after'), clock);
  const message =
    code && NETWORK_CODES.has(code) && status === undefined
      ? `the connection failed (${e.message ?? code})`
      : serviceWords(e.result?.message ?? e.message ?? 'unknown error');
  // Azure DevOps names nobody when it accepts a token as no one's (expired, or for another organization or
  // tenant): "TF400813: The user '' is not authorized to access this resource." (microsoft/azure-devops-auth-samples#52);
  // a token it accepts, of an identity that is not a user of the organization, names the user.
  const unnamed = service === 'devops' && status === 401 && /TF400813: The user '' /.test(message);
  const hint = unnamed ? hintsFor('HTTP401@devops:unnamed') : hintsFor(code, status, service);
  const facts = { operation, status, code, correlationId, retryAfterMs, hint };
  return status === 409 ? new ConflictError(message, facts) : new ServiceError(message, facts);
}

/**
 * Whether waiting may clear a failure: throttling, the statuses @azure/core-rest-pipeline retries for ARM
 * (408, 5xx but 501 and 505), and a connection that failed before an answer arrived.
 */
export function isTransient(error: TaskError): boolean {
  const { status, code } = error;
  if (code && PERMANENT_CODES.has(code)) return false;
  if (status === undefined) return code !== undefined && NETWORK_CODES.has(code);
  return isTransientStatus(status);
}

/** The statuses @azure/core-rest-pipeline retries for ARM: throttling, 408, and 5xx but 501 and 505. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * What a wait (src/retry.ts waitFor) does after a failed call: wait as long as Retry-After asks when the
 * service sent one, else the policy's delay, when waiting may clear the failure (isTransient); undefined when not.
 */
export function retryDelay(error: unknown): number | 'policy' | undefined {
  if (!(error instanceof TaskError) || !isTransient(error)) return undefined;
  return error.retryAfterMs ?? 'policy';
}

/**
 * Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable,
 * and for a date when there is no clock to read it against.
 */
export function parseRetryAfter(value: string | undefined | null, clock?: Pick<Clock, 'now'>): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) && clock ? Math.max(0, date - clock.now()) : undefined;
}

/** The service's words for a one-line error: a page of markup (a sign-in page) by its first visible words. */
function serviceWords(raw: string): string {
  const plain = withoutMarkup(raw);
  return plain === raw ? firstSentence(raw) : firstWords(plain).replace(/\.$/, '');
}

/** SDK messages can run to pages (MSAL appends trace ids and timestamps); the first sentence carries the meaning. */
function firstSentence(message: string): string {
  const line = message.split(/\r?\n/).find((l) => l.trim() !== '') ?? message;
  const aadsts = /(AADSTS\d+:[^.]*\.)/.exec(line);
  return (aadsts ? aadsts[1] : line).trim().replace(/\.$/, '');
}

export function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as LooseError).statusCode : undefined;
}
