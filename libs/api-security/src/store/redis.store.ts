import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import {
  parseRedisAddress,
  type RedisClusterConnectionOptions,
  type RedisNodeAddress,
  type RedisSentinelConnectionOptions,
} from './redis-connection.options';
import { consumeIfClearInParts } from './consume-if-clear';
import { blockKeyOf, groupBySlot, hashInputOf } from './redis-key-slot';

export type {
  RedisClusterConnectionOptions,
  RedisNodeAddress,
  RedisSentinelConnectionOptions,
} from './redis-connection.options';
import type {
  ConsumeIfClearRequest,
  ConsumeIfClearResult,
  ConsumeRequest,
  ConsumeResult,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SecurityStore,
} from './security-store';
import {
  assertBy,
  assertConsumeIfClearRequest,
  assertConsumeRequests,
  assertKey,
  assertKeys,
  assertReleaseRequests,
  assertReserveRequests,
  assertTtl,
  assertValue,
} from './store-arguments.validator';
import { StoreUnavailableError } from './store-unavailable.error';
import {
  redisAllowEvictingProblem,
  redisConnectionProblems,
  redisKeyPrefixProblem,
  redisTimeoutProblem,
} from './store-options.check';

/**
 * Options of a `RedisSecurityStore` that creates its own connection: `url` for one Redis, or
 * `cluster` for a Redis Cluster, or `sentinel` for a Redis watched by Sentinel (exactly one of them).
 */
export interface RedisSecurityStoreOptions {
  /** `redis://` or `rediss://` URL. It may carry a password, so the store never logs it or puts it in errors. */
  url?: string;
  /** Seeds and credentials of a Redis Cluster, instead of `url`. */
  cluster?: RedisClusterConnectionOptions;
  /** Sentinels and master name of a Redis watched by Sentinel, instead of `url`. */
  sentinel?: RedisSentinelConnectionOptions;
  /**
   * Prepended to every key. It must not contain `{` or `}`: a hash tag in the prefix would put
   * every key in one Redis Cluster slot. Callers that need several keys in one slot (getMany)
   * put a `{hash tag}` in their own keys instead.
   * @default 'api-security:'
   */
  keyPrefix?: string;
  /**
   * How long to wait for the TCP (and TLS) connection to be established.
   * @default 1000
   */
  connectTimeoutMs?: number;
  /**
   * How long one command may take before it fails with {@link StoreUnavailableError}.
   * @default 500
   */
  commandTimeoutMs?: number;
  /**
   * Accept a Redis whose `maxmemory-policy` may evict keys (anything but `noeviction`), with a
   * warning. By default the store refuses it: checked at boot by the module and on the first
   * connection, an evicting policy is a boot error, and the store answers nothing (every call is a
   * {@link StoreUnavailableError}). An evicting Redis drops revocations, lockouts and spent
   * challenges when memory runs out, whatever their TTL, so a revoked token works again.
   * @default false
   */
  allowEvictingPolicy?: boolean;
  /** Where warnings go (an evicting policy accepted, a policy that cannot be read). @default Nest's Logger */
  logger?: RedisSecurityStoreLogger;
}

/**
 * Options when the store is built on a client the application already owns. For the store's
 * fail-fast behaviour, create that client with `enableOfflineQueue: false`,
 * `maxRetriesPerRequest: 0` and a `commandTimeout`: with an offline queue, a command the store
 * already reported as failed may still be sent once the client reconnects.
 */
export interface RedisSecurityStoreClientOptions {
  /** @default 'api-security:' */
  keyPrefix?: string;
  /**
   * Deadline per command, enforced by the store only when the client has no `commandTimeout`
   * of its own (the store must never hang, whatever the client settings).
   * @default 500
   */
  commandTimeoutMs?: number;
  /**
   * Accept a Redis whose `maxmemory-policy` may evict keys (anything but `noeviction`), with a
   * warning. By default the store refuses it: checked at boot by the module and on the first
   * connection, an evicting policy is a boot error, and the store answers nothing (every call is a
   * {@link StoreUnavailableError}). An evicting Redis drops revocations, lockouts and spent
   * challenges when memory runs out, whatever their TTL, so a revoked token works again.
   * @default false
   */
  allowEvictingPolicy?: boolean;
  /** Where warnings go (an evicting policy accepted, a policy that cannot be read). @default Nest's Logger */
  logger?: RedisSecurityStoreLogger;
}

/** The slice of a logger the store writes its warnings to. */
export interface RedisSecurityStoreLogger {
  warn(message: string): void;
}

/**
 * Redis is set to evict keys under memory pressure, which would silently drop security records.
 * Thrown at boot (the app refuses to start) unless `allowEvictingPolicy` is set.
 */
export class EvictingRedisPolicyError extends Error {
  constructor(readonly policy: string) {
    super(
      `Redis maxmemory-policy is '${policy}': when memory runs out Redis evicts keys, including revoked ` +
        `token ids, lockouts and spent challenges (every key has a TTL, so volatile-* policies apply too), and a ` +
        `revoked token would work again. Set maxmemory-policy to noeviction (CONFIG SET maxmemory-policy noeviction, ` +
        `and in redis.conf), or accept the risk with store.allowEvictingPolicy: true.`,
    );
    this.name = 'EvictingRedisPolicyError';
  }
}

/**
 * The keys of one multi-key call (consume, reserve, release) are in different Redis Cluster slots,
 * so no single script can touch them atomically. A layout bug of the caller: related keys must
 * share a `{hash tag}`. A TypeError like every other caller mistake, never an outage to fail open on.
 */
export class CrossSlotKeysError extends TypeError {
  readonly code = 'ERR_STORE_CROSS_SLOT';

  constructor(cause: unknown) {
    super(
      'SecurityStore: the keys of one consume/reserve/release call hash to different Redis Cluster slots. ' +
        'Put the shared part of related keys in a {hash tag} (for example rl:{user:42}:a and rl:{user:42}:b).',
      { cause },
    );
    this.name = 'CrossSlotKeysError';
  }
}

const DEFAULT_KEY_PREFIX = 'api-security:';
const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const RECONNECT_BASE_MS = 50;
/** Caps the backoff so the store is back within about a second of Redis returning. */
const RECONNECT_MAX_MS = 1000;
const INCREMENT_COMMAND = 'apiSecurityIncrement';
/**
 * How long a disconnect waits for the server to close its side before destroying the socket.
 * ioredis arms this timer even when the socket is already gone, and its 2 s default would keep
 * the process (and test runners) alive after close().
 */
const DISCONNECT_TIMEOUT_MS = 200;

/*
 * PTTL < 0 means the key has no expiry, which after INCRBY happens only when INCRBY just created
 * it (or someone stored it without a TTL). Testing `value == by` instead would also re-arm the
 * TTL of an existing counter that happened to be at 0, stretching its window.
 */
const INCREMENT_LUA = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { value, ttl }
`;

const CONSUME_COMMAND = 'apiSecurityConsume';
const CONSUME_IF_CLEAR_COMMAND = 'apiSecurityConsumeIfClear';

/*
 * The counters of consume: KEYS from `first` on are counter, block marker, counter, block marker, … ;
 * ARGV from `argv` on are cost, limit, windowMs, blockMs per counter. Appends hits, resetMs, blocked
 * (0/1), retryAfterMs per counter to `out`. A blocked counter refuses without counting; cost 0 only
 * reads; the whole script runs atomically, which makes admission exact.
 */
const CONSUME_FUNCTION = `
local function consume(out, first, argv)
  for i = first, #KEYS, 2 do
    local a = argv + (i - first) * 2
    local cost = tonumber(ARGV[a + 1])
    local limit = tonumber(ARGV[a + 2])
    local window = tonumber(ARGV[a + 3])
    local block = tonumber(ARGV[a + 4])
    local blockTtl = redis.call('PTTL', KEYS[i + 1])
    if blockTtl > 0 then
      local hits = tonumber(redis.call('GET', KEYS[i]) or '0')
      local reset = redis.call('PTTL', KEYS[i])
      if reset < 0 then reset = 0 end
      table.insert(out, hits); table.insert(out, reset); table.insert(out, 1); table.insert(out, blockTtl)
    elseif cost == 0 then
      local hits = tonumber(redis.call('GET', KEYS[i]) or '0')
      local reset = redis.call('PTTL', KEYS[i])
      if reset < 0 then reset = 0 end
      if hits > limit then
        table.insert(out, hits); table.insert(out, reset); table.insert(out, 1); table.insert(out, reset)
      else
        table.insert(out, hits); table.insert(out, reset); table.insert(out, 0); table.insert(out, 0)
      end
    else
      local hits = redis.call('INCRBY', KEYS[i], cost)
      local reset = redis.call('PTTL', KEYS[i])
      if reset < 0 then
        redis.call('PEXPIRE', KEYS[i], window)
        reset = window
      end
      if hits <= limit then
        table.insert(out, hits); table.insert(out, reset); table.insert(out, 0); table.insert(out, 0)
      elseif block > 0 then
        redis.call('SET', KEYS[i + 1], '1', 'PX', block)
        table.insert(out, hits); table.insert(out, reset); table.insert(out, 1); table.insert(out, block)
      else
        table.insert(out, hits); table.insert(out, reset); table.insert(out, 1); table.insert(out, reset)
      end
    end
  end
end
`;

const CONSUME_LUA = `${CONSUME_FUNCTION}
local out = {}
consume(out, 1, 0)
return out
`;

/*
 * consumeIfClear. ARGV[1]: how many keys are read first (the stamp first when there is one), ARGV[2]:
 * the stamp's highest clear value, '' without a stamp. Any read key present vetoes, except a stamp
 * holding a decimal integer (at most 16 digits) <= ARGV[2]; a vetoed call charges nothing. Returns
 * vetoed (0/1), the values read (nil when absent), then the counters as consume does (none when
 * vetoed). KEYS after the read keys and ARGV from 3 on are consume's.
 */
const CONSUME_IF_CLEAR_LUA = `${CONSUME_FUNCTION}
local reads = tonumber(ARGV[1])
local atMost = ARGV[2]
local out = { 0 }
local vetoed = 0
for i = 1, reads do
  local v = redis.call('GET', KEYS[i])
  out[i + 1] = v
  if v then
    if i == 1 and atMost ~= '' then
      local digits = string.match(v, '^%-?(%d+)$')
      if not (digits and #digits <= 16 and tonumber(v) <= tonumber(atMost)) then vetoed = 1 end
    else
      vetoed = 1
    end
  end
end
out[1] = vetoed
if vetoed == 0 then consume(out, reads + 1, 2) end
return out
`;

const RESERVE_COMMAND = 'apiSecurityReserve';

/*
 * KEYS: counters; ARGV: cost, limit, windowMs per counter. Every counter is read and checked before
 * any is charged, so a refused call changes nothing. Values that INCRBY would refuse are refused
 * the same way (the store turns that reply into a TypeError). Returns reserved (0/1), then value,
 * resetMs, full (0/1) per counter.
 */
const RESERVE_LUA = `
local values = {}
local full = {}
local ok = 1
for i = 1, #KEYS do
  local raw = redis.call('GET', KEYS[i])
  local value = 0
  if raw then
    if raw ~= '0' and not string.match(raw, '^%-?[1-9]%d*$') then
      return redis.error_reply('ERR value is not an integer or out of range')
    end
    value = tonumber(raw)
  end
  values[i] = value
  local a = (i - 1) * 3
  if value + tonumber(ARGV[a + 1]) > tonumber(ARGV[a + 2]) then
    full[i] = 1
    ok = 0
  else
    full[i] = 0
  end
end
local out = { ok }
for i = 1, #KEYS do
  local a = (i - 1) * 3
  local cost = tonumber(ARGV[a + 1])
  local value = values[i]
  if ok == 1 and cost > 0 then
    value = redis.call('INCRBY', KEYS[i], cost)
    if redis.call('PTTL', KEYS[i]) < 0 then
      redis.call('PEXPIRE', KEYS[i], ARGV[a + 3])
    end
  end
  local reset = redis.call('PTTL', KEYS[i])
  if reset < 0 then reset = 0 end
  table.insert(out, value); table.insert(out, reset); table.insert(out, full[i])
end
return out
`;

const RELEASE_COMMAND = 'apiSecurityRelease';

/*
 * KEYS: counters; ARGV: cost, resetMs per counter. A missing key (PTTL -2) is left missing, and a
 * counter with more time left than the reservation saw is a later window: left alone too.
 */
const RELEASE_LUA = `
for i = 1, #KEYS do
  local a = (i - 1) * 2
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl ~= -2 and ttl <= tonumber(ARGV[a + 2]) then
    local value = redis.call('DECRBY', KEYS[i], ARGV[a + 1])
    if value < 0 then redis.call('INCRBY', KEYS[i], -value) end
  end
end
return 0
`;

interface IncrementCommand {
  [INCREMENT_COMMAND](key: string, by: number, ttlMs: number): Promise<[number, number]>;
  [CONSUME_COMMAND](numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  [CONSUME_IF_CLEAR_COMMAND](
    numberOfKeys: number,
    ...keysAndArgs: (string | number)[]
  ): Promise<(number | string | null)[]>;
  [RESERVE_COMMAND](numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  [RELEASE_COMMAND](numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
}

/** Raised internally when the store's own deadline fires; never escapes (wrapped as cause). */
class DeadlineExceededError extends Error {
  constructor(ms: number) {
    super(`No answer within ${ms} ms.`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * {@link SecurityStore} on Redis, standalone or Redis Cluster, through ioredis.
 *
 * Every operation is one round trip. The client fails fast instead of queueing: no offline
 * queue, no per-request retries, bounded connect and command timeouts. While Redis is down
 * every call rejects with {@link StoreUnavailableError} within the timeouts, and the client
 * keeps reconnecting in the background (bounded exponential backoff with jitter), so the store
 * recovers on its own.
 *
 * Errors: bad arguments, and replies saying the stored value does not fit the command
 * (WRONGTYPE, not an integer, overflow), are TypeErrors, as in MemorySecurityStore. Every other
 * failure (connection, timeout, any other server error such as OOM, READONLY or LOADING) is a
 * {@link StoreUnavailableError} with the ioredis error as `cause`.
 *
 * On Redis Cluster, getMany splits its keys per slot (one MGET per slot, not atomic across
 * slots), and the keys of one consume/reserve/release call must share a `{hash tag}` (else a
 * {@link CrossSlotKeysError}); the eviction-policy check reads every master.
 */
export class RedisSecurityStore implements SecurityStore {
  private readonly client: Redis | Cluster;
  private readonly cluster: boolean;
  private readonly owned: boolean;
  private readonly prefix: string;
  /** Set only when the client has no commandTimeout of its own. */
  private readonly deadlineMs: number | undefined;
  private readonly connectDeadlineMs: number;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private trips = 0;
  private lastErrorSeen: Error | undefined;
  private readonly allowEvictingPolicy: boolean;
  private readonly logger: RedisSecurityStoreLogger;
  /** Settles once the eviction policy has been read on a live connection. */
  private policyCheck: Promise<void> | undefined;
  /** Set when the policy was refused: every call then fails closed with it as the cause. */
  private refusal: EvictingRedisPolicyError | undefined;
  /** A listener must exist or ioredis prints every connection error; the error itself surfaces per call. */
  private readonly onError = (error: Error): void => {
    this.lastErrorSeen = error;
  };

  constructor(client: Redis | Cluster, options?: RedisSecurityStoreClientOptions);
  constructor(options: RedisSecurityStoreOptions);
  constructor(
    clientOrOptions: Redis | Cluster | RedisSecurityStoreOptions,
    clientOptions: RedisSecurityStoreClientOptions = {},
  ) {
    const given = clientOrOptions instanceof Redis || clientOrOptions instanceof Cluster;
    const common = given ? clientOptions : clientOrOptions;
    const allow: unknown = common?.allowEvictingPolicy;
    refuse(redisAllowEvictingProblem(allow, bare));
    this.allowEvictingPolicy = allow === true;
    this.logger = common?.logger ?? new Logger('RedisSecurityStore');
    if (given) {
      this.prefix = checkPrefix(clientOptions.keyPrefix);
      const commandTimeoutMs = checkTimeout(
        'commandTimeoutMs',
        clientOptions.commandTimeoutMs,
        DEFAULT_COMMAND_TIMEOUT_MS,
      );
      this.client = clientOrOptions;
      this.cluster = clientOrOptions instanceof Cluster;
      this.owned = false;
      const nodeOptions =
        clientOrOptions instanceof Cluster ? (clientOrOptions.options.redisOptions ?? {}) : clientOrOptions.options;
      this.deadlineMs = typeof nodeOptions.commandTimeout === 'number' ? undefined : commandTimeoutMs;
      this.connectDeadlineMs = (nodeOptions.connectTimeout ?? 10_000) + commandTimeoutMs;
    } else {
      const options = clientOrOptions;
      this.prefix = checkPrefix(options?.keyPrefix);
      const connectTimeout = checkTimeout('connectTimeoutMs', options?.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
      const commandTimeout = checkTimeout('commandTimeoutMs', options?.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS);
      const nodeOptions = {
        // Queueing while disconnected would turn an outage into piled-up, late (and replayed) writes.
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectTimeout,
        commandTimeout,
        disconnectTimeout: DISCONNECT_TIMEOUT_MS,
        // Keeps the handshake to the ready check alone, so a silent server is detected within one command timeout.
        disableClientInfo: true,
      };
      // Checked once, with the boot's sentences; the parsing below can then trust the shapes.
      const [connection] = redisConnectionProblems(options as unknown as Record<string, unknown>, bare);
      refuse(connection);
      if (options?.sentinel !== undefined) {
        const sentinel = checkSentinel(options.sentinel);
        const tls =
          sentinel.tls === undefined || sentinel.tls === false ? undefined : sentinel.tls === true ? {} : sentinel.tls;
        this.client = new Redis({
          ...nodeOptions,
          sentinels: sentinel.sentinels,
          name: sentinel.name,
          ...(sentinel.username !== undefined ? { username: sentinel.username } : {}),
          ...(sentinel.password !== undefined ? { password: sentinel.password } : {}),
          ...(sentinel.sentinelUsername !== undefined ? { sentinelUsername: sentinel.sentinelUsername } : {}),
          ...(sentinel.sentinelPassword !== undefined ? { sentinelPassword: sentinel.sentinelPassword } : {}),
          ...(tls !== undefined ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
          sentinelCommandTimeout: commandTimeout,
          lazyConnect: true,
          enableOfflineQueue: false,
          retryStrategy: reconnectDelay,
          // After a failover the old master answers READONLY; reconnecting asks the sentinels again.
          reconnectOnError: (error) => error.message.startsWith('READONLY'),
        });
        this.cluster = false;
      } else if (options?.cluster !== undefined) {
        const cluster = checkCluster(options.cluster);
        this.client = new Cluster(cluster.nodes, {
          lazyConnect: true,
          enableOfflineQueue: false,
          clusterRetryStrategy: reconnectDelay,
          // A slot map that cannot be read in time is an outage like a connection that cannot be made.
          slotsRefreshTimeout: connectTimeout,
          ...(cluster.natMap !== undefined ? { natMap: cluster.natMap } : {}),
          redisOptions: {
            ...nodeOptions,
            ...(cluster.username !== undefined ? { username: cluster.username } : {}),
            ...(cluster.password !== undefined ? { password: cluster.password } : {}),
            ...(cluster.tls !== undefined && cluster.tls !== false
              ? { tls: cluster.tls === true ? {} : cluster.tls }
              : {}),
          },
        });
        this.cluster = true;
      } else {
        this.client = new Redis(options.url as string, {
          ...nodeOptions,
          lazyConnect: true,
          enableOfflineQueue: false,
          retryStrategy: reconnectDelay,
          // After a failover the old primary answers READONLY; reconnecting reaches the new one.
          reconnectOnError: (error) => error.message.startsWith('READONLY'),
        });
        this.cluster = false;
      }
      this.owned = true;
      this.deadlineMs = undefined;
      this.connectDeadlineMs = connectTimeout + commandTimeout + 100;
    }
    this.client.on('error', this.onError);
    this.client.defineCommand(INCREMENT_COMMAND, { numberOfKeys: 1, lua: INCREMENT_LUA });
    // The number of keys varies per call (one pair per tier), so it is passed first on each call.
    this.client.defineCommand(CONSUME_COMMAND, { lua: CONSUME_LUA });
    this.client.defineCommand(CONSUME_IF_CLEAR_COMMAND, { lua: CONSUME_IF_CLEAR_LUA });
    this.client.defineCommand(RESERVE_COMMAND, { lua: RESERVE_LUA });
    this.client.defineCommand(RELEASE_COMMAND, { lua: RELEASE_LUA });
  }

  /**
   * Reads Redis's `maxmemory-policy` and refuses anything but `noeviction` with an
   * {@link EvictingRedisPolicyError} (a warning under `allowEvictingPolicy`). When CONFIG is not
   * allowed (managed Redis services often disable it), or Redis cannot be reached yet, it warns
   * and the check is repeated on the first connection. The module calls it at boot.
   */
  async checkConfiguration(): Promise<void> {
    try {
      await this.run(async () => undefined, 0);
    } catch (error) {
      if (error instanceof StoreUnavailableError && this.refusal === undefined) {
        this.logger.warn(
          'Redis is not reachable at boot; its maxmemory-policy will be checked on the first connection.',
        );
        return;
      }
      throw this.refusal ?? error;
    }
  }

  /**
   * Round trips this store has sent to Redis for its operations since it was created: one per
   * script call or command, one per slot for a getMany split across Redis Cluster slots (the
   * connection's own handshake and the one-time eviction-policy check are not counted). For
   * metrics, and for tests and benchmarks that count the store calls a request costs.
   */
  get roundTrips(): number {
    return this.trips;
  }

  /** The most recent connection-level error reported by the client, for diagnostics. */
  get lastError(): Error | undefined {
    return this.lastErrorSeen;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<CounterState> {
    assertKey(key);
    assertTtl(ttlMs);
    assertBy(by);
    const client = this.client as (Redis | Cluster) & IncrementCommand;
    const [value, ttl] = await this.run(() => client[INCREMENT_COMMAND](this.prefix + key, by, ttlMs));
    return { value, ttlMs: ttl };
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertKey(key);
    assertValue(value);
    assertTtl(ttlMs);
    const reply = await this.run(() => this.client.set(this.prefix + key, value, 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  async get(key: string): Promise<string | null> {
    assertKey(key);
    return this.run(() => this.client.get(this.prefix + key));
  }

  async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    assertKeys(keys);
    if (keys.length === 0) {
      // MGET without keys is a syntax error in Redis.
      return [];
    }
    const prefixed = keys.map((key) => this.prefix + key);
    if (!this.cluster) {
      return this.run(() => this.client.mget(prefixed));
    }
    // MGET across slots is CROSSSLOT on a cluster: one MGET per slot, sent together.
    const groups = groupBySlot(prefixed);
    const replies = await this.run(
      () => Promise.all(groups.map((group) => this.client.mget(group.map((index) => prefixed[index])))),
      groups.length,
    );
    const values = new Array<string | null>(keys.length);
    groups.forEach((group, g) => {
      group.forEach((index, i) => {
        values[index] = replies[g][i];
      });
    });
    return values;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertKey(key);
    assertValue(value);
    assertTtl(ttlMs);
    await this.run(() => this.client.set(this.prefix + key, value, 'PX', ttlMs));
  }

  async take(key: string): Promise<string | null> {
    assertKey(key);
    return this.run(() => this.client.getdel(this.prefix + key));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const removed = await this.run(() => this.client.del(this.prefix + key));
    return removed > 0;
  }

  async consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    assertConsumeRequests(requests);
    if (requests.length === 0) return [];
    const keys: string[] = [];
    const args: number[] = [];
    for (const request of requests) {
      const counter = this.prefix + request.key;
      keys.push(counter, blockKeyOf(counter, this.cluster));
      args.push(request.cost, request.limit, request.windowMs, request.blockMs);
    }
    const client = this.client as (Redis | Cluster) & IncrementCommand;
    const reply = await this.run(() => client[CONSUME_COMMAND](keys.length, ...keys, ...args));
    const results: ConsumeResult[] = [];
    for (let i = 0; i < requests.length; i++) {
      results.push({
        hits: reply[i * 4],
        resetMs: reply[i * 4 + 1],
        blocked: reply[i * 4 + 2] === 1,
        retryAfterMs: reply[i * 4 + 3],
      });
    }
    return results;
  }

  /**
   * One script: the vetoing keys are read and the counters charged only when none vetoes. On Redis
   * Cluster every key must then share one slot (the library's keys of one principal do, through the
   * `{u:<id>}` hash tag); keys that do not are read, then charged, in two round trips.
   */
  async consumeIfClear(request: ConsumeIfClearRequest): Promise<ConsumeIfClearResult> {
    assertConsumeIfClearRequest(request);
    const reads = request.stamp === undefined ? [...request.marks] : [request.stamp.key, ...request.marks];
    const keys = reads.map((key) => this.prefix + key);
    const args: (string | number)[] = [reads.length, request.stamp === undefined ? '' : request.stamp.atMostMs];
    for (const counter of request.counters) {
      const key = this.prefix + counter.key;
      keys.push(key, blockKeyOf(key, this.cluster));
      args.push(counter.cost, counter.limit, counter.windowMs, counter.blockMs);
    }
    if (keys.length === 0) return { stamp: null, marks: [], vetoed: false, counters: [] };
    if (this.cluster) {
      const slot = hashInputOf(keys[0]);
      if (keys.some((key) => hashInputOf(key) !== slot)) return consumeIfClearInParts(this, request);
    }
    const client = this.client as (Redis | Cluster) & IncrementCommand;
    const reply = await this.run(() => client[CONSUME_IF_CLEAR_COMMAND](keys.length, ...keys, ...args));
    const values = reply.slice(1, 1 + reads.length).map((value) => (value === null ? null : String(value)));
    const stamp = request.stamp === undefined ? null : values[0];
    const marks = request.stamp === undefined ? values : values.slice(1);
    if (reply[0] === 1) return { stamp, marks, vetoed: true, counters: [] };
    const counters: ConsumeResult[] = [];
    for (let i = 0, at = 1 + reads.length; i < request.counters.length; i++, at += 4) {
      counters.push({
        hits: reply[at] as number,
        resetMs: reply[at + 1] as number,
        blocked: reply[at + 2] === 1,
        retryAfterMs: reply[at + 3] as number,
      });
    }
    return { stamp, marks, vetoed: false, counters };
  }

  async reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    assertReserveRequests(requests);
    if (requests.length === 0) return { reserved: true, counters: [] };
    const keys = requests.map((request) => this.prefix + request.key);
    const args = requests.flatMap((request) => [request.cost, request.limit, request.windowMs]);
    const client = this.client as (Redis | Cluster) & IncrementCommand;
    const reply = await this.run(() => client[RESERVE_COMMAND](keys.length, ...keys, ...args));
    return {
      reserved: reply[0] === 1,
      counters: requests.map((_, i) => ({
        value: reply[1 + i * 3],
        resetMs: reply[2 + i * 3],
        full: reply[3 + i * 3] === 1,
      })),
    };
  }

  async release(requests: readonly ReleaseRequest[]): Promise<void> {
    assertReleaseRequests(requests);
    if (requests.length === 0) return;
    const keys = requests.map((request) => this.prefix + request.key);
    const args = requests.flatMap((request) => [request.cost, request.resetMs]);
    const client = this.client as (Redis | Cluster) & IncrementCommand;
    await this.run(() => client[RELEASE_COMMAND](keys.length, ...keys, ...args));
  }

  async ping(): Promise<void> {
    await this.run(() => this.client.ping());
  }

  /**
   * Quits the connection the store created (falling back to a hard disconnect when Redis does
   * not answer). A client passed in by the application is left open: its owner closes it.
   */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (!this.owned) {
      this.client.off('error', this.onError);
      return;
    }
    const status = this.client.status;
    if (status === 'end') {
      return;
    }
    const ended =
      status === 'ready' || status === 'connect' || status === 'connecting' ? endOf(this.client) : undefined;
    if (status === 'ready') {
      try {
        await this.client.quit();
      } catch {
        this.client.disconnect();
      }
    } else {
      // Without a live connection QUIT cannot be sent; this also cancels a pending reconnect.
      this.client.disconnect();
    }
    await ended;
  }

  private async run<T>(command: () => Promise<T>, trips = 1): Promise<T> {
    if (this.closed) {
      throw new StoreUnavailableError(new Error('The store has been closed.'));
    }
    if (this.refusal !== undefined) {
      throw new StoreUnavailableError(this.refusal);
    }
    try {
      await this.connectOnFirstUse();
      await this.checkPolicyOnce();
      this.trips += trips;
      const pending = command();
      return await (this.deadlineMs === undefined ? pending : withDeadline(pending, this.deadlineMs));
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        throw error;
      }
      if (isTimeout(error)) {
        this.dropConnection();
      }
      if (error instanceof Error && error.name === 'ReplyError' && error.message.startsWith('CROSSSLOT')) {
        throw new CrossSlotKeysError(error);
      }
      if (isValueError(error)) {
        // Redis answered: this is the caller's data, not an outage, and failing open must not hide it.
        throw new TypeError(
          'SecurityStore: the value at this key does not fit the operation (not an integer counter).',
          {
            cause: error,
          },
        );
      }
      throw new StoreUnavailableError(error);
    }
  }

  /**
   * ioredis with lazyConnect and no offline queue rejects commands until someone calls
   * connect(); callers arriving during that first connect share it. Later outages are handled
   * by ioredis's own reconnect loop, during which commands fail fast.
   */
  private async connectOnFirstUse(): Promise<void> {
    const status = this.client.status;
    if (this.connecting === undefined && (status === 'wait' || (status === 'end' && this.owned))) {
      const attempt = withDeadline(this.client.connect(), this.connectDeadlineMs);
      this.connecting = attempt.finally(() => {
        this.connecting = undefined;
      });
    }
    if (this.connecting !== undefined) {
      await this.connecting;
    }
  }

  /** One policy check per store, shared by the calls that arrive while it runs; retried after a failed read. */
  private async checkPolicyOnce(): Promise<void> {
    if (this.policyCheck === undefined) {
      this.policyCheck = this.readPolicy().catch((error: unknown) => {
        this.policyCheck = undefined;
        throw error;
      });
    }
    await this.policyCheck;
  }

  /**
   * On a cluster every master holds a share of the keys, so each one is read: one evicting master
   * is enough to lose revocations. (Replicas are not read: they copy their master's keys and only
   * serve after a failover, when the next store started checks them as masters.)
   */
  private async readPolicy(): Promise<void> {
    const servers = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    const policies = await Promise.all(servers.map((server) => this.readPolicyOf(server)));
    const unreadable = policies.includes(undefined);
    const policy = policies.find((value) => value !== undefined && value !== 'noeviction');
    if (unreadable || servers.length === 0) this.judgePolicy(undefined);
    if (policy !== undefined) this.judgePolicy(policy);
  }

  private async readPolicyOf(server: Redis): Promise<string | undefined> {
    try {
      const pending = server.config('GET', 'maxmemory-policy') as Promise<unknown>;
      const reply = await (this.deadlineMs === undefined ? pending : withDeadline(pending, this.deadlineMs));
      return policyOf(reply);
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ReplyError')) throw error;
      // Redis answered but refused CONFIG (renamed or disabled, ACL without @admin): it cannot be checked.
      return undefined;
    }
  }

  private judgePolicy(policy: string | undefined): void {
    if (policy === undefined) {
      this.logger.warn(
        'Could not read Redis maxmemory-policy (CONFIG GET is disabled or not permitted). Make sure it is ' +
          'noeviction in the service settings: an evicting Redis drops revocations and lockouts under memory pressure.',
      );
      return;
    }
    if (policy === 'noeviction') return;
    const refusal = new EvictingRedisPolicyError(policy);
    if (this.allowEvictingPolicy) {
      this.logger.warn(`${refusal.message} Starting anyway: allowEvictingPolicy is set.`);
      return;
    }
    this.refusal = refusal;
    throw refusal;
  }

  /**
   * After a timeout, the late reply would be paired with the next command sent on this
   * connection (replies are matched by order). Dropping the connection is the only way to keep
   * replies with their commands; ioredis then reconnects on its own.
   */
  private dropConnection(): void {
    if (this.client.status === 'ready') {
      this.client.disconnect(true);
    }
  }
}

/** Resolves when the client has closed its socket, or after the disconnect timeout at the latest. */
function endOf(client: Redis | Cluster): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('end', done);
      resolve();
    };
    const timer = setTimeout(done, DISCONNECT_TIMEOUT_MS + 50);
    client.once('end', done);
  });
}

/** `CONFIG GET` answers `[name, value]` (RESP2) or `{ name: value }` (RESP3). */
function policyOf(reply: unknown): string | undefined {
  if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  if (typeof reply === 'object' && reply !== null && 'maxmemory-policy' in reply) {
    const value = (reply as Record<string, unknown>)['maxmemory-policy'];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(RECONNECT_BASE_MS * 2 ** Math.min(attempt - 1, 10), RECONNECT_MAX_MS);
  // Jitter spreads the reconnects of many app instances after a Redis restart.
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}

const bare = (field: string): string => field;

/** Throws the shared store-option sentence, naming the class, as a TypeError (a programming error). */
function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new TypeError(`RedisSecurityStore: ${problem}`);
}

function checkPrefix(prefix: string | undefined): string {
  refuse(redisKeyPrefixProblem(prefix, bare));
  return prefix ?? DEFAULT_KEY_PREFIX;
}

interface CheckedCluster {
  nodes: RedisNodeAddress[];
  username?: string;
  password?: string;
  tls?: boolean | TlsConnectionOptions;
  natMap?: Record<string, RedisNodeAddress>;
}

/** The sentinel option, already checked by redisConnectionProblems, with its addresses parsed. */
function checkSentinel(sentinel: RedisSentinelConnectionOptions): RedisSentinelConnectionOptions & {
  sentinels: RedisNodeAddress[];
} {
  return { ...sentinel, sentinels: sentinel.sentinels.map((entry) => parseRedisAddress(entry) as RedisNodeAddress) };
}

/** The cluster option, already checked by redisConnectionProblems, with its addresses parsed. */
function checkCluster(cluster: RedisClusterConnectionOptions): CheckedCluster {
  const nodes = cluster.nodes.map((seed) => parseRedisAddress(seed) as RedisNodeAddress);
  let natMap: Record<string, RedisNodeAddress> | undefined;
  if (cluster.natMap !== undefined) {
    natMap = {};
    for (const [announced, target] of Object.entries(cluster.natMap)) {
      natMap[announced] = parseRedisAddress(target) as RedisNodeAddress;
    }
  }
  return { ...cluster, nodes, ...(natMap !== undefined ? { natMap } : {}) };
}

function checkTimeout(name: string, value: number | undefined, fallback: number): number {
  refuse(redisTimeoutProblem(value, name, bare));
  return value ?? fallback;
}

function isTimeout(error: unknown): boolean {
  return error instanceof DeadlineExceededError || (error instanceof Error && error.message === 'Command timed out');
}

/** Replies meaning "this command does not fit the value stored at the key" (same as MemorySecurityStore's TypeError). */
function isValueError(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ReplyError' &&
    /^WRONGTYPE|value is not an integer|would overflow/.test(error.message)
  );
}

function withDeadline<T>(pending: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceededError(ms)), ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
