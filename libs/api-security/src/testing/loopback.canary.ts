import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Options of a `LoopbackCanary` server. */
export interface LoopbackCanaryOptions {
  /**
   * JSON served to every request (e.g. a JWKS, to tempt a verifier into using it), or a function
   * returning it, read per request.
   * @default {}
   */
  body?: unknown;
}

/**
 * An HTTP server on 127.0.0.1 (a free port) that counts every connection and request it receives.
 * Point SSRF payloads or `jku`/`x5u` headers at it: after the test, `connections` must be 0.
 *
 * @example
 * ```ts
 * const canary = await new LoopbackCanary().start();
 * // … send payloads that mention canary.url …
 * expect(canary.connections).toBe(0);
 * await canary.stop();
 * ```
 */
export class LoopbackCanary {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private connectionCount = 0;
  /** Paths (with query) of every request received, in order. */
  readonly requests: string[] = [];

  constructor(private readonly options: LoopbackCanaryOptions = {}) {}

  /** Starts listening; resolves to the canary itself. */
  async start(): Promise<this> {
    if (this.server) throw new Error('LoopbackCanary.start(): already started.');
    const { body } = this.options;
    const server = createServer((req, res) => {
      this.requests.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify((typeof body === 'function' ? (body as () => unknown)() : body) ?? {}));
    });
    server.on('connection', (socket: Socket) => {
      this.connectionCount++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this;
  }

  /** Closes every open connection and the server. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  /** The port listened on. */
  get port(): number {
    if (!this.server) throw new Error('LoopbackCanary: start() it first.');
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** TCP connections accepted since start (a connection that sent nothing counts too). */
  get connections(): number {
    return this.connectionCount;
  }
}
