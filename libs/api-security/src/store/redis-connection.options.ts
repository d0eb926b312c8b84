import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

// Where a Redis store connects besides a URL. Kept apart from redis.store.ts so the module options can
// name and check these without loading ioredis.

/** One Redis server (a cluster seed, a sentinel), by host and port. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/**
 * How to reach a Redis Cluster. The seeds only have to include one reachable master: the client
 * discovers the others (and follows slot moves and failovers) from `CLUSTER SLOTS`.
 */
export interface RedisClusterConnectionOptions {
  /** Seed nodes, as `'host:port'` strings or `{ host, port }`. At least one. */
  nodes: readonly (string | RedisNodeAddress)[];
  /** ACL user name (Redis 6+), sent to every node. */
  username?: string;
  /** Password of every node (or of `username`). Never logged or put in errors. */
  password?: string;
  /** TLS to every node: `true` for the defaults, or Node's TLS connection options (CA, servername…). */
  tls?: boolean | TlsConnectionOptions;
  /**
   * Maps the addresses the nodes announce (`host:port` as in `CLUSTER SLOTS`) to the addresses this
   * process reaches them on, for clusters behind NAT or in containers.
   */
  natMap?: Readonly<Record<string, RedisNodeAddress>>;
}

/** `'host:port'`, `'[v6]:port'` or `{ host, port }`; undefined when malformed. */
export function parseRedisAddress(seed: unknown): RedisNodeAddress | undefined {
  let host: unknown;
  let port: unknown;
  if (typeof seed === 'string') {
    const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(seed.trim());
    if (match === null) return undefined;
    host = match[1] ?? match[2];
    port = Number(match[3]);
  } else if (typeof seed === 'object' && seed !== null) {
    ({ host, port } = seed as { host?: unknown; port?: unknown });
  }
  if (typeof host !== 'string' || host.length === 0 || !Number.isInteger(port)) return undefined;
  const portNumber = port as number;
  return portNumber >= 1 && portNumber <= 65535 ? { host, port: portNumber } : undefined;
}

/**
 * How to reach a Redis watched by Sentinel: the store asks the sentinels for the current master of
 * `name`, and asks again after a failover (the old master answering READONLY triggers a reconnect).
 */
export interface RedisSentinelConnectionOptions {
  /** Sentinel addresses, as `'host:port'` strings or `{ host, port }`. At least one. */
  sentinels: readonly (string | RedisNodeAddress)[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
  name: string;
  /** ACL user name of the Redis servers (Redis 6+). */
  username?: string;
  /** Password of the Redis servers. Never logged or put in errors. */
  password?: string;
  /** ACL user name on the sentinels, when they require one. */
  sentinelUsername?: string;
  /** Password of the sentinels, when they require one. Never logged or put in errors. */
  sentinelPassword?: string;
  /** TLS to the Redis servers and the sentinels: `true` for the defaults, or Node's TLS options. */
  tls?: boolean | TlsConnectionOptions;
}
