/**
 * How Microsoft Graph answers: its OData envelope and headers, its error body (NOTES.md §8) with the
 * request-id it gives each request, the one $filter form these collections need, and the parsing of its
 * paths (`applications(uniqueName='…')`). A Refusal thrown anywhere below a route is answered as it stands.
 */
import { randomUUID } from 'node:crypto';
import { header, jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';

const JSON_ODATA = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** One path segment: a name, optionally with a key: `applications`, `applications(appId='…')`, `credentials(name='…')`. */
export interface Segment {
  name: string;
  key?: SegmentKey;
}

export interface SegmentKey {
  property?: string;
  value: string;
}

export class Refusal extends Error {
  constructor(readonly response: EmulatorResponse) {
    super(`refused with HTTP ${response.status}`);
  }
}

export class GraphAnswers {
  /** The request-id Graph gives each request, shared by its headers and error body. */
  private readonly requestIds = new WeakMap<EmulatorRequest, string>();

  /** graphUrl: Graph's base URL as the agent hands it out, which every OData context names. */
  constructor(private readonly graphUrl: string) {}

  /** Gives a request the request-id Graph answers it with: the caller's client-request-id, or a new one. */
  begin(request: EmulatorRequest): void {
    this.requestIds.set(request, header(request, 'client-request-id') ?? randomUUID());
  }

  /** `$filter=<property> eq '<value>'`, the one form these collections need; others answer 400. */
  equalityFilter(request: EmulatorRequest, properties: string[]): { property: string; value: string } | undefined {
    const filter = request.query.get('$filter');
    if (filter === null) return undefined;
    const match = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
    const property = match && properties.find((p) => p.toLowerCase() === match[1].toLowerCase());
    if (!match || !property) throw new Refusal(this.error(request, 400, 'Request_UnsupportedQuery', 'Unsupported Query.'));
    return { property, value: match[2].replace(/''/g, "'") };
  }

  objectBody(request: EmulatorRequest): Record<string, unknown> {
    let body: unknown;
    try {
      body = parseJsonBody(request);
    } catch {
      throw new Refusal(
        this.error(
          request,
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        ),
      );
    }
    if (body === undefined) return {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Refusal(this.error(request, 400, 'BadRequest', 'Unable to read JSON request payload.'));
    }
    return body as Record<string, unknown>;
  }

  ok(body: object, context: string): EmulatorResponse {
    return jsonResponse(
      200,
      { '@odata.context': `${this.graphUrl}v1.0/$metadata#${context}`, ...body },
      { 'Content-Type': JSON_ODATA, 'OData-Version': '4.0' },
    );
  }

  created(body: object, context: string): EmulatorResponse {
    const response = this.ok(body, context);
    return { ...response, status: 201 };
  }

  notFound(request: EmulatorRequest, key: string): Refusal {
    return new Refusal(
      this.error(
        request,
        404,
        'Request_ResourceNotFound',
        `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
      ),
    );
  }

  noRoute(request: EmulatorRequest): EmulatorResponse {
    return this.error(request, 400, 'BadRequest', `Resource not found for the segment '${request.pathname.split('/').pop() ?? ''}'.`);
  }

  methodNotAllowed(request: EmulatorRequest): EmulatorResponse {
    return this.error(request, 405, 'Request_BadRequest', `Specified HTTP method is not allowed for the request uri.`);
  }

  /** Graph's error envelope (NOTES.md §8) with the innerError Graph adds. */
  error(
    request: EmulatorRequest,
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): EmulatorResponse {
    const requestId = this.requestId(request);
    return jsonResponse(
      status,
      {
        error: {
          code,
          message,
          ...extra,
          innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId },
        },
      },
      { 'Content-Type': JSON_ODATA, ...headers },
    );
  }

  requestId(request: EmulatorRequest): string {
    return this.requestIds.get(request) ?? randomUUID();
  }

  standardHeaders(request: EmulatorRequest): Record<string, string> {
    const requestId = this.requestId(request);
    return {
      'request-id': requestId,
      'client-request-id': header(request, 'client-request-id') ?? requestId,
      'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'West Europe', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'emulator' } }),
      'Strict-Transport-Security': 'max-age=31536000',
      'Cache-Control': 'no-cache',
    };
  }
}

export function preferCreateIfMissing(request: EmulatorRequest): boolean {
  return (header(request, 'prefer') ?? '').split(',').some((p) => p.trim().toLowerCase() === 'create-if-missing');
}

/** Splits a path on '/' outside quoted keys ('…' with '' for a quote). */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of path.replace(/^\/+/, '')) {
    if (ch === "'") quoted = !quoted;
    if (ch === '/' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.filter((p, i) => p !== '' || i < parts.length - 1);
}

/** `name`, `name('key')`, `name(property='key')`; undefined for anything else. */
export function parseSegment(segment: string): Segment | undefined {
  const match = /^([A-Za-z][\w.]*)(?:\((?:(\w+)=)?'((?:[^']|'')*)'\))?$/.exec(segment) ?? /^([\w.-]+)$/.exec(segment);
  if (!match) return undefined;
  if (match[3] === undefined) return { name: match[1] };
  return { name: match[1], key: { property: match[2], value: match[3].replace(/''/g, "'") } };
}
