import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One address a name resolves to (the shape of the library's internal `ResolvedAddress`). */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** A loopback HTTP server that counts the TCP connections it accepted. */
export interface LocalServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (IPv6 in brackets). */
  readonly origin: string;
  /** TCP connections accepted so far. */
  connections: number;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

/** Starts an HTTP server on a loopback address (`127.0.0.1` unless given), on `port` or any free one. Tests only. */
export async function startLocalServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = '127.0.0.1',
  port = 0,
): Promise<LocalServer> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== '::1') throw new Error(`not a loopback address: ${host}`);
  const server: Server = createServer((req, res) => {
    state.requests += 1;
    handler(req, res);
  });
  const state: LocalServer = {
    host,
    port: 0,
    origin: '',
    connections: 0,
    requests: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return Object.assign(state, { port: bound, origin: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` });
}

/**
 * A resolver that answers from a table without any real DNS: each name maps to a list of answers
 * given one after the other (the last one repeats). Unknown names fail like NXDOMAIN. Tests only.
 */
/** A DNS resolver answering from a script (fits the SafeHttpClient's resolver option). */
export class ScriptedResolver {
  /** Every name asked, in order. */
  readonly asked: string[] = [];

  constructor(private readonly answers: Readonly<Record<string, readonly (readonly string[])[]>>) {}

  async resolve(hostname: string): Promise<readonly ResolvedAddress[]> {
    const calls = this.asked.filter((name) => name === hostname).length;
    this.asked.push(hostname);
    const script = this.answers[hostname];
    if (!script || script.length === 0) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    }
    const answer = script[Math.min(calls, script.length - 1)] as readonly string[];
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }
}
