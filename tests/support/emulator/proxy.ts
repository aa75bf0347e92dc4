/**
 * The corporate proxy a self-hosted agent sits behind: HTTPS goes through CONNECT tunnels (RFC 9110
 * §9.3.6), optionally behind Basic proxy authentication (407 with Proxy-Authenticate otherwise). Every
 * tunnel is logged with the local port of its upstream socket, which is the remote port the emulated
 * service records for each request arriving through it: that is how a test proves a request came through
 * the proxy. Plain-HTTP requests are refused and logged: nothing the task sends should need them.
 *
 * The proxy also stands in for DNS: `route` maps a host the client asked for (a sovereign cloud's real
 * host name) to the loopback port serving it, so those names resolve without touching /etc/hosts.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface TunnelLogEntry {
  /** host:port as the client asked for it. */
  target: string;
  /** 200 tunnelled, 407 credentials missing or wrong, 502 no route to the target. */
  status: number;
  /** Local port of the proxy's socket to the target (tunnelled requests only). */
  upstreamPort?: number;
  at: number;
}

export interface ProxyOptions {
  /** When set, every CONNECT must carry these in Proxy-Authorization: Basic. */
  credentials?: { username: string; password: string };
  /** Where a requested host:port really is; undefined refuses the tunnel with 502. */
  route(host: string, port: number): { host: string; port: number } | undefined;
}

export class ConnectProxy {
  readonly tunnels: TunnelLogEntry[] = [];
  readonly plainRequests: Array<{ method: string; url: string }> = [];
  private readonly sockets = new Set<Duplex>();
  private readonly server: http.Server;
  private address = '';

  private constructor(private readonly options: ProxyOptions) {
    this.server = http.createServer((req, res) => {
      this.plainRequests.push({ method: req.method ?? '', url: req.url ?? '' });
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('This proxy only tunnels (CONNECT).');
    });
    this.server.on('connection', (socket: net.Socket) => this.track(socket));
    this.server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => this.tunnel(req, client, head));
  }

  static async start(options: ProxyOptions): Promise<ConnectProxy> {
    const proxy = new ConnectProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy.address = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** http://127.0.0.1:<port>, as Agent.ProxyUrl holds it. */
  get url(): string {
    return this.address;
  }

  /** Local ports of every upstream socket opened so far. */
  upstreamPorts(): Set<number> {
    return new Set(this.tunnels.flatMap((t) => (t.upstreamPort === undefined ? [] : [t.upstreamPort])));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private tunnel(req: http.IncomingMessage, client: Duplex, head: Buffer): void {
    const target = req.url ?? '';
    const log = (status: number, upstreamPort?: number): void => {
      this.tunnels.push({ target, status, upstreamPort, at: Date.now() });
    };
    const refuse = (status: number, reason: string, headers: string[] = []): void => {
      log(status);
      client.end([`HTTP/1.1 ${status} ${reason}`, ...headers, 'Content-Length: 0', 'Connection: close', '', ''].join('\r\n'));
    };
    client.on('error', () => client.destroy());

    const { credentials } = this.options;
    if (credentials) {
      const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
      if (req.headers['proxy-authorization'] !== expected) {
        refuse(407, 'Proxy Authentication Required', ['Proxy-Authenticate: Basic realm="emulator"']);
        return;
      }
    }
    const at = target.lastIndexOf(':');
    const host = target.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(at + 1));
    const destination = at > 0 && Number.isInteger(port) ? this.options.route(host.toLowerCase(), port) : undefined;
    if (!destination) {
      refuse(502, 'Bad Gateway');
      return;
    }
    let connected = false;
    const upstream = net.connect(destination.port, destination.host, () => {
      connected = true;
      log(200, upstream.localPort);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.track(upstream);
    upstream.on('error', () => {
      if (!connected) refuse(502, 'Bad Gateway');
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }
}
