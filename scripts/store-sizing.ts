/**
 * Memory sizing of the in-memory store: heap per 1,000,000 counters and per 1,000,000 security
 * records of each kind, measured with process.memoryUsage() around forced GCs.
 * Usage: `node --expose-gc scripts/run-ts.js scripts/store-sizing.ts [count]`. Prints a table and one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { MemorySecurityStore } from '@api-security/nestjs';

const COUNT = Number(process.argv[2] ?? 1_000_000);
const TTL_MS = 3_600_000;
const uuid = (i: number): string => `${randomUUID().slice(0, 24)}${String(i).padStart(12, '0')}`;
const hash = (i: number): string => Buffer.from(uuid(i)).toString('base64url').slice(0, 43);

type Fill = (store: MemorySecurityStore, i: number) => Promise<unknown>;

const KINDS: Record<string, Fill> = {
  // An anonymous client's rate-limit counter (IPv4 tracker, global budget), as the limiter writes it.
  'rate-limit counter (anonymous IPv4)': (store, i) =>
    store.consume([
      {
        key: `rl:{ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}}:global`,
        cost: 1,
        limit: 100,
        windowMs: TTL_MS,
        blockMs: 0,
      },
    ]),
  // logout: one revoked access-token id until its exp.
  'revoked token id': (store, i) => store.set(`{u:${uuid(i)}}:jti:${uuid(i + 1)}`, '1', TTL_MS),
  // A login's failure counter (lockout), reserved before the password check.
  'lockout counter': (store, i) =>
    store.reserve([{ key: `{la:${hash(i)}}:fails`, cost: 1, limit: 5, windowMs: TTL_MS }]),
  // A refresh token's "issued" record (JSON: user, family, deadlines), the largest record written per session.
  'refresh-token record': (store, i) =>
    store.set(
      `{rt:${hash(i)}}:issued`,
      JSON.stringify({ u: uuid(i), f: uuid(i + 7), r: 'user', x: 1_800_000_000_000, i: 1_800_000_000_000 }),
      TTL_MS,
    ),
  // A used proof-of-work challenge (one-time).
  'used challenge': (store, i) => store.setIfAbsent(`{fc:${hash(i).slice(0, 32)}}:used`, '1', TTL_MS),
};

async function measure(fill: Fill): Promise<{ heapMiB: number; bytesPerRecord: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  const before = process.memoryUsage().heapUsed;
  // Room for COUNT of either kind: anonymous counters may take 90% of the counter space.
  const store = new MemorySecurityStore({ maxEntries: 4 * COUNT, maxCounterEntries: 2 * COUNT });
  for (let i = 0; i < COUNT; i++) await fill(store, i);
  gc();
  const used = process.memoryUsage().heapUsed - before;
  if (store.size !== COUNT) throw new Error(`expected ${COUNT} entries, found ${store.size}`);
  await store.close();
  return { heapMiB: Math.round((used / 2 ** 20) * 10) / 10, bytesPerRecord: Math.round(used / COUNT) };
}

async function main(): Promise<void> {
  const results: Record<string, { heapMiB: number; bytesPerRecord: number }> = {};
  for (const [kind, fill] of Object.entries(KINDS)) {
    results[kind] = await measure(fill);
    process.stdout.write(
      `${kind.padEnd(38)} ${COUNT.toLocaleString('en')} entries: ${results[kind].heapMiB} MiB, ${results[kind].bytesPerRecord} B each\n`,
    );
  }
  process.stdout.write(`${JSON.stringify({ count: COUNT, node: process.version, results })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
