/**
 * Turns what the SDKs throw into our error family. Each SDK has its own shape:
 * - @azure/core-rest-pipeline RestError: statusCode, code (ARM `error.code`), response headers;
 * - @azure/identity / MSAL: the AADSTS code only inside the message ("AADSTS70021: No matching …");
 * - azure-devops-node-api (typed-rest-client): statusCode and the parsed body in `result`
 *   (`{message, typeKey}`), no headers;
 * - @microsoft/microsoft-graph-client GraphError: statusCode (-1 when no response arrived), code (Graph's
 *   `error.code`), requestId (`innerError.request-id`).
 */
import { ConflictError, ServiceError, TaskError, hintFor } from './errors';

export type Service = 'arm' | 'entra' | 'devops' | 'graph';

interface LooseError {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  requestId?: string | null;
  result?: { message?: string; typeKey?: string; typeName?: string } | null;
  response?: { headers?: { get?(name: string): string | undefined }; bodyAsText?: string | null };
  request?: { headers?: { get?(name: string): string | undefined } };
}

export function toTaskError(service: Service, operation: string, error: unknown): TaskError {
  if (error instanceof TaskError) return error;
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as LooseError;
  // typed-rest-client's tunnel reports a refused CONNECT only in its message ("…, statusCode=407"); the
  // Graph client reports a request that never got an answer as statusCode -1.
  const status = e.statusCode !== undefined && e.statusCode > 0 ? e.statusCode : tunnelStatus(e.message);
  const aadsts = /AADSTS(\d+)/.exec(e.message ?? '');
  // A Graph client error without an answer (statusCode -1) carries the JavaScript error's name as its code.
  const code = aadsts ? `AADSTS${aadsts[1]}` : e.statusCode === -1 ? undefined : e.code ?? e.result?.typeKey ?? undefined;
  const headers = e.response?.headers;
  const correlationId =
    headers?.get?.('x-ms-correlation-request-id') ??
    headers?.get?.('request-id') ??
    headers?.get?.('x-vss-e2eid') ??
    e.requestId ??
    undefined;
  const message = firstSentence(e.result?.message ?? e.message ?? 'unknown error');
  const facts = { operation, status, code, correlationId, hint: hintFor(code, status, service) };
  return status === 409 ? new ConflictError(message, facts) : new ServiceError(message, facts);
}

function tunnelStatus(message: string | undefined): number | undefined {
  const match = /tunneling socket could not be established, statusCode=(\d{3})/.exec(message ?? '');
  return match ? Number(match[1]) : undefined;
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

export function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as LooseError).code ?? undefined : undefined;
}
