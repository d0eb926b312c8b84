/**
 * Rate-limit store micro-benchmarks, run by bench/run.ts in a child process with `--expose-gc`:
 * cost per hit with 1, 10,000 and 100,000 live hits in the window (ours against @nestjs/throttler's
 * default in-memory storage), Redis throughput of the consume script when REDIS_URL is set, and
 * heap per 1,000,000 limiter keys. Prints one JSON line.
 */
import { ThrottlerStorageService } from '@nestjs/throttler';
import { MemorySecurityStore, type ConsumeRequest, type SecurityStore } from '@api-security/nestjs';
import { RedisSecurityStore } from '@api-security/nestjs/redis';

const LIVE_HITS = [1, 10_000, 100_000] as const;
const WINDOW_MS = 600_000;

async function opsPerSecond(minMs: number, op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2000; i++) await op();
  let ops = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    for (let i = 0; i < 100; i++) await op();
    ops += 100;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return Math.round(ops / (elapsed / 1000));
}

/** Our store: a fixed-window counter; the live hits are one number whatever their count. */
async function oursAt(hits: number): Promise<number> {
  const store = new MemorySecurityStore();
  const request: ConsumeRequest = {
    key: 'rl:{ip:10.0.0.1}:default:GET /x',
    cost: 1,
    limit: 1e9,
    windowMs: WINDOW_MS,
    blockMs: 0,
  };
  await store.consume([{ ...request, cost: hits }]);
  return opsPerSecond(400, () => store.consume([request]));
}

/** @nestjs/throttler's storage keeps one expiry per hit and filters them on every hit. */
async function throttlerAt(hits: number): Promise<number> {
  const storage = new ThrottlerStorageService();
  const key = 'bench-key';
  await storage.increment(key, WINDOW_MS, 1e9, 0, 'default');
  // Filling 100,000 hits one by one would itself be quadratic; the state is set as those hits leave it.
  const internal = storage as unknown as {
    hitExpirations: Map<string, Map<string, number[]>>;
    storage: Map<string, { totalHits: Map<string, number> }>;
  };
  const expiry = Date.now() + WINDOW_MS;
  internal.hitExpirations.get(key)?.set(
    'default',
    Array.from({ length: hits }, () => expiry),
  );
  internal.storage.get(key)?.totalHits.set('default', hits);
  const result = await opsPerSecond(400, () => storage.increment(key, WINDOW_MS, 1e9, 0, 'default'));
  storage.onApplicationShutdown();
  return result;
}

async function redisThroughput(url: string): Promise<{ sequential: number; concurrent32: number }> {
  const store: SecurityStore = new RedisSecurityStore({ url, keyPrefix: `bench-store-${process.pid}:` });
  try {
    const request = (i: number): ConsumeRequest[] => [
      { key: `rl:{p:${i % 1000}}:default:GET /x`, cost: 1, limit: 1e9, windowMs: 60_000, blockMs: 0 },
      { key: `rl:{p:${i % 1000}}:global`, cost: 1, limit: 1e9, windowMs: 60_000, blockMs: 0 },
    ];
    let n = 0;
    const sequential = await opsPerSecond(1000, () => store.consume(request(n++)));
    let ops = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() - start < 1000) {
          await store.consume(request(ops++));
        }
      }),
    );
    return { sequential, concurrent32: Math.round(ops / ((performance.now() - start) / 1000)) };
  } finally {
    await store.close();
  }
}

async function heapPerMillionKeys(): Promise<{ keys: number; heapMiB: number; bytesPerKey: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const keys = 1_000_000;
  gc();
  const before = process.memoryUsage().heapUsed;
  // Counters get their own space (half of maxEntries), and anonymous clients 90% of it.
  const store = new MemorySecurityStore({ maxEntries: 3 * keys, maxCounterEntries: 2 * keys });
  for (let i = 0; i < keys; i++) {
    // Realistic keys: an IPv4 tracker and a route, about 50 characters.
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    await store.consume([
      { key: `rl:{ip:${ip}}:default:GET /api/v1/users/me`, cost: 1, limit: 100, windowMs: WINDOW_MS, blockMs: 0 },
    ]);
  }
  gc();
  const used = process.memoryUsage().heapUsed - before;
  if (store.size !== keys) throw new Error(`expected ${keys} keys, found ${store.size}`);
  await store.close();
  return { keys, heapMiB: Math.round((used / 2 ** 20) * 10) / 10, bytesPerKey: Math.round(used / keys) };
}

async function main(): Promise<void> {
  const costPerHit: Record<string, { oursOpsPerSec: number; throttlerOpsPerSec: number }> = {};
  for (const hits of LIVE_HITS) {
    costPerHit[String(hits)] = { oursOpsPerSec: await oursAt(hits), throttlerOpsPerSec: await throttlerAt(hits) };
  }
  const redis = process.env.REDIS_URL ? await redisThroughput(process.env.REDIS_URL) : null;
  const memory = await heapPerMillionKeys();
  process.stdout.write(`${JSON.stringify({ costPerHit, redis, memory })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
