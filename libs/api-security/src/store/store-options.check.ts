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
    problems.push(...redisConnectionProblems(options, atBoot));
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
 * Where a Redis store connects: exactly one of `url`, `cluster` and `sentinel`, well formed. One
 * sentence per problem; a URL or password is never echoed (a mistyped one may be real). Used at
 * boot (`store.` names) and by `RedisSecurityStore` built by hand (bare names).
 */
export function redisConnectionProblems(store: Record<string, unknown>, name: Namer): string[] {
  const problems: string[] = [];
  const set = (['url', 'cluster', 'sentinel'] as const).filter((key) => store[key] !== undefined);
  if (set.length > 1) {
    return [
      `${set.map((key) => name(key)).join(' and ')} are exclusive: set ${name('url')} for one Redis, ` +
        `${name('cluster')} for a Redis Cluster, ${name('sentinel')} for a Redis watched by Sentinel.`,
    ];
  }
  const addresses = (list: unknown, field: string, what: string): void => {
    if (!Array.isArray(list) || list.length === 0) {
      problems.push(`${name(field)} must list at least one ${what}, as 'host:port' or { host, port }.`);
      return;
    }
    list.forEach((entry: unknown, i) => {
      if (parseRedisAddress(entry) === undefined) {
        problems.push(`${name(field)}[${i}] must be 'host:port' or { host, port } with a port from 1 to 65535.`);
      }
    });
  };
  const strings = (options: Record<string, unknown>, prefix: string, keys: readonly string[]): void => {
    for (const key of keys) {
      if (options[key] !== undefined && typeof options[key] !== 'string') {
        problems.push(`${name(`${prefix}.${key}`)} must be a string.`);
      }
    }
  };
  const tls = (value: unknown, field: string): void => {
    if (value !== undefined && typeof value !== 'boolean' && (typeof value !== 'object' || value === null)) {
      problems.push(`${name(field)} must be true, false or TLS connection options.`);
    }
  };
  const objectAt = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

  if (store.sentinel !== undefined) {
    const sentinel = objectAt(store.sentinel);
    addresses(sentinel.sentinels, 'sentinel.sentinels', 'sentinel');
    if (typeof sentinel.name !== 'string' || sentinel.name === '') {
      problems.push(`${name('sentinel.name')} must be the master group name the sentinels monitor.`);
    }
    strings(sentinel, 'sentinel', ['username', 'password', 'sentinelUsername', 'sentinelPassword']);
    tls(sentinel.tls, 'sentinel.tls');
    return problems;
  }
  if (store.cluster === undefined) {
    const problem = redisUrlProblem(store.url, name);
    return problem === undefined ? [] : [problem];
  }
  const cluster = objectAt(store.cluster);
  addresses(cluster.nodes, 'cluster.nodes', 'seed node');
  strings(cluster, 'cluster', ['username', 'password']);
  tls(cluster.tls, 'cluster.tls');
  if (cluster.natMap !== undefined) {
    for (const [announced, target] of Object.entries(objectAt(cluster.natMap))) {
      if (parseRedisAddress(target) === undefined) {
        problems.push(`${name('cluster.natMap')}['${announced}'] must be { host, port }.`);
      }
    }
  }
  return problems;
}

/**
 * Boot checks of the options that bound memory or decide what an evicting Redis does, one sentence
 * per problem, naming the option.
 */
