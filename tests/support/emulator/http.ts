/**
 * HTTP(S) plumbing shared by the emulated services: one server per service (TLS, except the instance
 * metadata endpoint, which is plain HTTP as on an Azure VM), a request log, fault injection, global
 * latency and small JSON helpers. Service logic lives in entra.ts, arm*.ts, graph*.ts, devops*.ts and
 * imds.ts; this module knows nothing about Azure.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from './clock';

export type ServiceName = 'login' | 'arm' | 'devops' | 'graph' | 'imds';

export interface RequestLogEntry {
  service: ServiceName;
  method: string;
  /** Path with query string, exactly as the client sent it. */
  path: string;
  /** HTTP status answered; 0 when a fault rule dropped the socket. */
  status: number;
  /** Epoch milliseconds with sub-millisecond precision (performance.timeOrigin + performance.now()). */
  startedAt: number;
  endedAt: number;
  /** Who called: token oid for ARM and Graph, client_id for login, identity id for DevOps. */
  callerId?: string;
  /** The client's port of the connection the request came on: a proxy's tunnel shows up as its upstream socket. */
  remotePort?: number;
}

/**
 * A fault answers instead of the handler (status/headers/body), drops the socket (drop), or only delays
 * the request (latencyMs alone) and lets the handler answer. With `afterApply` the handler runs first,
 * so the service has done the work, and only then is its answer replaced or lost: the nasty case of a
 * write that succeeded while its caller never heard so.
 */
export interface FaultRule {
  service: ServiceName;
  method?: string;
  /** Tested against the path with query string. */
  path?: RegExp;
  /** Only requests that change something (what Emulator.writes() lists). */
  writesOnly?: boolean;
  /** Let this many matching requests through untouched first: `skip: k - 1` hits the k-th. */
  skip?: number;
  /** How many matching requests the rule applies to; default 1, Infinity for all. */
  times?: number;
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  drop?: boolean;
  latencyMs?: number;
  /** Run the handler (apply the request) before answering with the fault or dropping the socket. */
  afterApply?: boolean;
  /** Called when the rule fires, before the answer leaves (after the handler with afterApply). */
  onFire?: () => void;
  /**
   * Holds the request until the promise this returns settles, then lets the service handle it: makes two
   * runs meet in a given order whatever the speed of the machine (e.g. both reads before either write).
   */
  holdUntil?: () => Promise<void>;
  /**
   * The caller's process dies the moment the service has applied the request (with afterApply): its answer
   * never leaves, and from then on the emulator applies and answers nothing until Emulator.afterCrash(),
   * which ends every connection that was open (their requests are held until stop()). In-process runs
   * use it to cut a run where a spawned one would be killed.
   */
  crash?: boolean;
}

export interface EmulatorRequest {
  /** A request of a Graph $batch, answered inside the batch's answer. */
  batched?: boolean;
  method: string;
  /** Path without query, not decoded. */
  pathname: string;
  /** Path with query, as sent. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Set by handlers so the request log can say who called. */
  callerId?: string;
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** Objects are serialised as JSON; strings and Buffers are sent as they are; undefined sends no body. */
  body?: unknown;
}

export type Handler = (request: EmulatorRequest) => Promise<EmulatorResponse> | EmulatorResponse;

/** A validation step's refusal: the response to send instead of going on. */
export class Rejection {
  constructor(readonly response: EmulatorResponse) {}
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers };
}

/** Parses a JSON body; returns undefined for an empty body and throws SyntaxError for bad JSON. */
export function parseJsonBody(request: EmulatorRequest): unknown {
  const text = request.body.toString('utf8').replace(/^\uFEFF/, '');
  return text.trim() === '' ? undefined : JSON.parse(text);
}

export function header(request: EmulatorRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Matches `pattern` ('/a/:x/b') against a path segment by segment; literals compare case-insensitively. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | undefined {
  const patternParts = pattern.split('/');
  const pathParts = pathname.split('/');
  if (patternParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < patternParts.length; i++) {
    const expected = patternParts[i];
    const actual = pathParts[i];
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected.toLowerCase() !== actual.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export interface TlsMaterial {
  keyPem: string;
  certPem: string;
}

/** The per-service knobs the HTTPS front end applies before any handler runs. */
export interface TrafficControl {
  latencyMs: number;
  clock: Clock;
  /** A crash fault fired and Emulator.afterCrash() has not been called yet: nothing is applied or answered. */
  frozen(): boolean;
  crash(): void;
  /** Counts a request held from a crashed caller. */
  held(): void;
  /**
   * A request starts (+1) or ends (-1) being worked on: arrived and not yet answered, and not waiting
   * on the clock (the emulator's clock counts its sleepers out) or on a holdUntil. A virtual clock
   * advances only while nothing is being worked on.
   */
  working(delta: number): void;
  takeFault(service: ServiceName, method: string, path: string): FaultRule | undefined;
  record(entry: RequestLogEntry): void;
}

/** One listener on 127.0.0.1 with its own ephemeral port: HTTPS, or plain HTTP when given no TLS material. */
export class ServiceServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  /** Connections of a crashed caller: whatever comes on them is held, never applied nor answered. */
  private readonly dead = new Set<Socket>();
  private listening = false;

  constructor(
    readonly service: ServiceName,
    private readonly tls: TlsMaterial | undefined,
    private readonly traffic: TrafficControl,
    private readonly handler: Handler,
  ) {
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      void this.handle(req, res);
    };
    this.server = tls ? https.createServer({ key: tls.keyPem, cert: tls.certPem }, listener) : http.createServer(listener);
    // Keep-alive sockets would hold stop() open; track them so stop() can end them.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.dead.delete(socket);
      });
    });
  }

  /** Ends every connection open now for good: requests on them are held until close(). */
  killConnections(): void {
    for (const socket of this.sockets) this.dead.add(socket);
  }

  /** Requests from a crashed caller are neither applied nor answered. */
  private held(req: IncomingMessage): boolean {
    const port = req.socket.remotePort;
    const held = this.traffic.frozen() || [...this.dead].some((socket) => socket.remotePort === port);
    if (held) this.traffic.held();
    return held;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.listening = true;
    const { port } = this.server.address() as AddressInfo;
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}/`;
  }

  async close(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.traffic.working(+1);
    try {
      await this.serve(req, res);
    } finally {
      this.traffic.working(-1);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const clock = this.traffic.clock;
    const startedAt = clock.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawPath = req.url ?? '/';
    const remotePort = req.socket.remotePort;
    const log = (status: number, callerId?: string): void =>
      this.traffic.record({ service: this.service, method, path: rawPath, status, startedAt, endedAt: clock.now(), callerId, remotePort });

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      log(0);
      return;
    }

    // A crashed caller's request never reached the service: not applied, not logged, never answered.
    if (this.held(req)) return;
    const fault = this.traffic.takeFault(this.service, method, rawPath);
    if (fault?.latencyMs) await clock.sleep(fault.latencyMs);
    if (fault?.holdUntil) {
      this.traffic.working(-1);
      try {
        await fault.holdUntil();
      } finally {
        this.traffic.working(+1);
      }
    }
    if (fault && !fault.afterApply) fault.onFire?.();
    if (fault?.drop && !fault.afterApply) {
      req.socket.destroy();
      log(0);
      return;
    }
    if (this.traffic.latencyMs > 0) await clock.sleep(this.traffic.latencyMs);
    if (this.held(req)) return;

    // Split by hand: new URL('//subscriptions/...', base) would read '//subscriptions' as a host.
    const queryAt = rawPath.indexOf('?');
    const request: EmulatorRequest = {
      method,
      pathname: queryAt < 0 ? rawPath : rawPath.slice(0, queryAt),
      rawPath,
      query: new URLSearchParams(queryAt < 0 ? '' : rawPath.slice(queryAt + 1)),
      headers: req.headers,
      body,
    };

    let response: EmulatorResponse;
    if (fault && fault.status !== undefined && !fault.afterApply) {
      response = { status: fault.status, headers: fault.headers, body: fault.body };
    } else {
      try {
        response = await this.handler(request);
      } catch (error) {
        // A bug in the emulator must be loud, never a silent success.
        response = jsonResponse(500, {
          error: { code: 'EmulatorInternalError', message: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        });
      }
    }
    if (fault?.afterApply && fault.crash) {
      // Applied; the caller dies before the answer leaves.
      this.traffic.crash();
      fault.onFire?.();
      log(0, request.callerId);
      return;
    }
    if (this.held(req)) {
      // Applied while the caller crashed: the answer never leaves.
      log(0, request.callerId);
      return;
    }
    if (fault?.afterApply) {
      fault.onFire?.();
      if (fault.drop) {
        req.socket.destroy();
        log(0, request.callerId);
        return;
      }
      if (fault.status !== undefined) response = { status: fault.status, headers: fault.headers, body: fault.body };
    }
    // Logged as the answer leaves: a caller in this process may read it, and its test look at the log,
    // before the response's 'finish' event.
    log(response.status, request.callerId);
    writeResponse(res, method, response);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function writeResponse(res: ServerResponse, method: string, response: EmulatorResponse): void {
  const headers: Record<string, string | string[]> = { ...(response.headers ?? {}) };
  let payload: Buffer | undefined;
  if (Buffer.isBuffer(response.body)) {
    payload = response.body;
  } else if (typeof response.body === 'string') {
    payload = Buffer.from(response.body, 'utf8');
  } else if (response.body !== undefined) {
    payload = Buffer.from(JSON.stringify(response.body), 'utf8');
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = JSON_CONTENT_TYPE;
  }
  headers['Content-Length'] = String(payload?.length ?? 0);
  res.writeHead(response.status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}
