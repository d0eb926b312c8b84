import { parseRedisAddress } from './redis-connection.options';
import { resolveOutagePolicy } from './store-outage.policy';

/**
 * The one place store options are judged: the module's boot check, `createSecurityStore` and the
 * store constructors all call these, so a value is refused with the same sentence wherever it is
 * given. `name` turns a field into the name the user wrote (`store.url` at boot, `url` for a store
 * built by hand, whose error message then starts with the class name).
 */
type Namer = (field: string) => string;

const atBoot: Namer = (field) => `store.${field}`;

/** Problems of the memory store's capacity options, one sentence each. */
export function memoryStoreProblems(
  options: { maxEntries?: unknown; maxCounterEntries?: unknown; whenCountersFull?: unknown },
  name: Namer,
): string[] {
  const max = options.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(max) || (max as number) < 2) {
    return [`${name('maxEntries')} must be an integer >= 2, got ${String(options.maxEntries)}.`];
  }
  const problems: string[] = [];
  const counters = options.maxCounterEntries;
  if (
    counters !== undefined &&
    (!Number.isSafeInteger(counters) || (counters as number) < 1 || (counters as number) >= (max as number))
  ) {
    problems.push(
      `${name('maxCounterEntries')} must be an integer from 1 to ${name('maxEntries')} - 1 (the rest is kept for security records), got ${String(counters)}.`,
    );
  }
  const full = options.whenCountersFull;
  if (full !== undefined && full !== 'tooManyRequests' && full !== 'serviceUnavailable') {
    problems.push(
      `${name('whenCountersFull')} must be 'tooManyRequests' or 'serviceUnavailable', got ${String(full)}.`,
    );
  }
  return problems;
}

/** `redis://` or `rediss://`. The value is never put in the message: a mistyped URL may still hold a real password. */
export function redisUrlProblem(url: unknown, name: Namer): string | undefined {
  return typeof url === 'string' && /^rediss?:\/\//.test(url)
    ? undefined
    : `${name('url')} must be a redis:// or rediss:// URL (for example redis://localhost:6379, or rediss://user:password@host:6380 for TLS), or set ${name('cluster')} (Redis Cluster) or ${name('sentinel')} (Sentinel).`;
}

/** Hash tags in the prefix would put every key of the library in one Cluster slot. */
export function redisKeyPrefixProblem(prefix: unknown, name: Namer): string | undefined {
  return prefix === undefined || (typeof prefix === 'string' && !/[{}]/.test(prefix))
    ? undefined
    : `${name('keyPrefix')} must be a string without "{" or "}" (hash tags belong in keys).`;
}

/** Connect and command timeouts. */
export function redisTimeoutProblem(ms: unknown, field: string, name: Namer): string | undefined {
  return ms === undefined || (Number.isSafeInteger(ms) && (ms as number) > 0)
    ? undefined
    : `${name(field)} must be a positive integer, got ${String(ms)}.`;
}

/** Only a real boolean: `'false'` from an environment variable must not switch the protection off. */
export function redisAllowEvictingProblem(allow: unknown, name: Namer): string | undefined {
  return allow === undefined || typeof allow === 'boolean'
    ? undefined
    : `${name('allowEvictingPolicy')} must be true or false, got ${typeof allow}.`;
}

/**
 * Every problem of the module's `store` option, one sentence each naming the option: its type,
 * the options of that type, and the outage policy.
 */
export function checkStoreOptions(store: unknown, problems: string[]): void {
  const options = (typeof store === 'object' && store !== null ? store : {}) as Record<string, unknown>;
  if (options.type === 'memory') {
    problems.push(...memoryStoreProblems(options, atBoot));
  } else if (options.type === 'redis') {
    checkRedisConnectionOptions(options, problems);
    for (const problem of [
      redisKeyPrefixProblem(options.keyPrefix, atBoot),
      redisTimeoutProblem(options.connectTimeoutMs, 'connectTimeoutMs', atBoot),
      redisTimeoutProblem(options.commandTimeoutMs, 'commandTimeoutMs', atBoot),
      redisAllowEvictingProblem(options.allowEvictingPolicy, atBoot),
    ]) {
      if (problem !== undefined) problems.push(problem);
    }
  } else {
    const type = typeof options.type === 'string' ? `'${options.type.slice(0, 40)}'` : String(options.type);
    problems.push(`store.type must be 'memory' or 'redis', got ${type}.`);
  }
  resolveOutagePolicy(options.onUnavailable, problems);
}

/**
 * Boot check of where a Redis store connects: exactly one of `store.url` and `store.cluster`, well
 * formed. One sentence per problem; a URL or password is never echoed (a mistyped one may be real).
 */
export function checkRedisConnectionOptions(store: Record<string, unknown>, problems: string[]): void {
  const { url, cluster, sentinel } = store as {
    url?: unknown;
    cluster?: Record<string, unknown> | null;
    sentinel?: unknown;
  };
  const set = (['url', 'cluster', 'sentinel'] as const).filter((name) => store[name] !== undefined);
  if (set.length > 1) {
    problems.push(
      `${set.map((name) => `store.${name}`).join(' and ')} are exclusive: set store.url for one Redis, ` +
        'store.cluster for a Redis Cluster, store.sentinel for a Redis watched by Sentinel.',
    );
    return;
  }
  if (sentinel !== undefined) {
    const list: unknown = (sentinel as { sentinels?: unknown } | null)?.sentinels;
    if (!Array.isArray(list) || list.length === 0) {
      problems.push("store.sentinel.sentinels must list at least one sentinel, as 'host:port' or { host, port }.");
    } else {
      list.forEach((entry: unknown, i) => {
        if (parseRedisAddress(entry) === undefined) {
          problems.push(
            `store.sentinel.sentinels[${i}] must be 'host:port' or { host, port } with a port from 1 to 65535.`,
          );
        }
      });
    }
    const name: unknown = (sentinel as { name?: unknown } | null)?.name;
    if (typeof name !== 'string' || name === '') {
      problems.push('store.sentinel.name must be the master group name the sentinels monitor.');
    }
    return;
  }
  if (cluster === undefined) {
    const problem = redisUrlProblem(url, atBoot);
    if (problem !== undefined) problems.push(problem);
    return;
  }
  const nodes: unknown = (cluster as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    problems.push("store.cluster.nodes must list at least one seed node, as 'host:port' or { host, port }.");
    return;
  }
  nodes.forEach((node: unknown, i) => {
    if (parseRedisAddress(node) === undefined) {
      problems.push(`store.cluster.nodes[${i}] must be 'host:port' or { host, port } with a port from 1 to 65535.`);
    }
  });
  for (const name of ['username', 'password'] as const) {
    const value: unknown = (cluster as Record<string, unknown> | null)?.[name];
    if (value !== undefined && typeof value !== 'string') problems.push(`store.cluster.${name} must be a string.`);
  }
}

/**
 * Boot checks of the options that bound memory or decide what an evicting Redis does, one sentence
 * per problem, naming the option.
 */
