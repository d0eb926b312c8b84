import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** `forward` relays bytes both ways; `blackhole` accepts connections and drops every byte (a hung peer). */
export type TcpProxyMode = 'forward' | 'blackhole';

export interface TcpProxyOptions {
  targetHost: string;
  targetPort: number;
  /**
   * Port to listen on (on 127.0.0.1). Pass a killed proxy's port to bring "the same server" back.
   * @default 0 (any free port)
   */
  port?: number;
  /** @default 'forward' */
  mode?: TcpProxyMode;
}

/**
 * Test helper that stands between a client and Redis to simulate outages: a crash (`kill`), a
 * silent network (`blackhole`/`pause`), and recovery (`resume`, or a new proxy on the same port).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  private mode: TcpProxyMode;
  private blackholed = false;
  private listeningPort = 0;

  private constructor(private readonly options: TcpProxyOptions) {
    this.mode = options.mode ?? 'forward';
    this.blackholed = this.mode === 'blackhole';
    this.server = createServer((socket) => this.accept(socket));
  }

  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const proxy = new TcpProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(options.port ?? 0, '127.0.0.1', () => {
        proxy.server.off('error', reject);
        proxy.listeningPort = (proxy.server.address() as AddressInfo).port;
        resolve();
      });
    });
    return proxy;
  }

  /** The port listened on; still known after kill(), so a new proxy can take it over. */
  get port(): number {
    return this.listeningPort;
  }

  /** Keeps every connection open but drops all bytes, on open and new connections alike. */
  blackhole(): void {
    this.mode = 'blackhole';
    this.blackholed = true;
  }

  /** Alias of {@link blackhole}: the network stops delivering, nothing is closed. */
  pause(): void {
    this.blackhole();
  }

  /**
   * Forwards again. Connections that lived through the blackhole are reset first: the bytes
   * dropped in between would leave the protocol out of step, as a real partition would.
   */
  resume(): void {
    if (this.blackholed) {
      this.destroySockets();
      this.blackholed = false;
    }
    this.mode = 'forward';
  }

  /** Destroys every connection and stops listening, freeing the port (a crashed server). */
  async kill(): Promise<void> {
    this.destroySockets();
    if (!this.server.listening) {
      return;
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === 'blackhole') {
      // Read and discard, so the client sees an open, silent connection.
      client.resume();
      return;
    }
    const upstream = createConnection({ host: this.options.targetHost, port: this.options.targetPort });
    this.track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (this.mode === 'forward') {
        upstream.write(chunk);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode === 'forward') {
        client.write(chunk);
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    // Resets are the point of this helper; they must not surface as unhandled 'error' events.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private destroySockets(): void {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
  }
}
