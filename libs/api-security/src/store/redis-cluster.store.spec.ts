import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { CrossSlotKeysError, EvictingRedisPolicyError, RedisSecurityStore } from './redis.store';
import { StoreUnavailableError } from './store-unavailable.error';
import { describeSecurityStoreConformance } from '../testing/security-store.conformance';
import { describeWithRedisCluster } from '../../../../test/support/redis-cluster';
import { unusedPort } from '../../../../test/support/unused-port';

describe('RedisSecurityStore on Redis Cluster (no server needed)', () => {
  it('rejects with StoreUnavailableError quickly when no seed answers, without the password in the error', async () => {
    const port = await unusedPort();
    const store = new RedisSecurityStore({
      cluster: { nodes: [`127.0.0.1:${port}`], password: 's3cret-pass' },
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    try {
      for (const run of [() => store.get('k'), () => store.getMany(['{a}:1', 'b']), () => store.increment('k', 1000)]) {
        const started = Date.now();
        const error = await run().then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(String((error as Error).message)).not.toContain('s3cret');
        expect(Date.now() - started).toBeLessThan(1100);
      }
      // At boot an unreachable cluster is a warning; the policy is checked on the first connection.
      await expect(store.checkConfiguration()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('refuses url and cluster together, and malformed seeds, with a TypeError', () => {
    expect(
      () => new RedisSecurityStore({ url: 'redis://127.0.0.1:6379', cluster: { nodes: ['127.0.0.1:7000'] } }),
    ).toThrow(/^RedisSecurityStore: url and cluster are exclusive/);
    expect(() => new RedisSecurityStore({ cluster: { nodes: [] } })).toThrow(TypeError);
    expect(() => new RedisSecurityStore({ cluster: { nodes: ['127.0.0.1'] } })).toThrow(/cluster\.nodes\[0\]/);
  });
});

describeWithRedisCluster('RedisSecurityStore on Redis Cluster', (nodes) => {
  describeSecurityStoreConformance(
    'RedisSecurityStore (Redis Cluster)',
    () => new RedisSecurityStore({ cluster: { nodes } }),
  );

  describe('on a Cluster client owned by the application', () => {
    const client = new Cluster(nodes.map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })));
    afterAll(async () => {
      await client.quit();
    });

    describeSecurityStoreConformance(
      'RedisSecurityStore (Redis Cluster, injected client)',
      () => new RedisSecurityStore(client),
    );

    it('leaves the client open on close', async () => {
      const store = new RedisSecurityStore(client, { keyPrefix: 'injected:' });
      await store.set(`t:${randomUUID()}`, 'v', 1000);
      await store.close();
      await expect(client.ping()).resolves.toBe('PONG');
    });
  });

  describe('slots', () => {
    let store: RedisSecurityStore;
    beforeAll(() => {
      store = new RedisSecurityStore({ cluster: { nodes } });
    });
    afterAll(async () => {
      await store.close();
    });

    it('answers getMany across slots (and masters) in the order asked', async () => {
      const ns = randomUUID();
      // Forty keys without a shared tag land on every master of a three-master cluster.
      const keys = Array.from({ length: 40 }, (_, i) => `${ns}:k${i}`);
      for (const [i, key] of keys.entries()) if (i % 3 !== 0) await store.set(key, `v${i}`, 2000);
      const values = await store.getMany(keys);
      expect(values).toEqual(keys.map((_, i) => (i % 3 !== 0 ? `v${i}` : null)));
    });

    it('refuses one consume or reserve over keys of different slots with a CrossSlotKeysError, counting nothing', async () => {
      const ns = randomUUID();
      const [a, b] = [`{${ns}-a}:c`, `{${ns}-b}:c`];
      const consume = store.consume([
        { key: a, cost: 1, limit: 5, windowMs: 1000, blockMs: 0 },
        { key: b, cost: 1, limit: 5, windowMs: 1000, blockMs: 0 },
      ]);
      await expect(consume).rejects.toBeInstanceOf(CrossSlotKeysError);
      await expect(consume).rejects.toThrow(/hash tag/);
      const reserve = store.reserve([
        { key: a, cost: 1, limit: 5, windowMs: 1000 },
        { key: b, cost: 1, limit: 5, windowMs: 1000 },
      ]);
      await expect(reserve).rejects.toMatchObject({ code: 'ERR_STORE_CROSS_SLOT' });
      await expect(store.getMany([a, b])).resolves.toEqual([null, null]);
    });

    it('reads and charges in one round trip when every key of consumeIfClear shares a slot, in two otherwise', async () => {
      const ns = randomUUID();
      const counter = (tag: string) => ({ key: `rl:{${tag}}:default`, cost: 1, limit: 5, windowMs: 2000, blockMs: 0 });
      const records = { marks: [`{u:${ns}}:jti:a`], stamp: { key: `{u:${ns}}:valid-after`, atMostMs: 1000 } };
      let before = store.roundTrips;
      await expect(store.consumeIfClear({ ...records, counters: [counter(`u:${ns}`)] })).resolves.toMatchObject({
        vetoed: false,
        counters: [{ hits: 1, blocked: false }],
      });
      expect(store.roundTrips - before).toBe(1);
      // A custom key layout whose counters do not share the records' slot: a read, then the charge.
      before = store.roundTrips;
      await expect(store.consumeIfClear({ ...records, counters: [counter(`other:${ns}`)] })).resolves.toMatchObject({
        vetoed: false,
        counters: [{ hits: 1, blocked: false }],
      });
      expect(store.roundTrips - before).toBe(2);
      // Revoked: the read alone, nothing charged.
      await store.set(records.marks[0], '1', 2000);
      before = store.roundTrips;
      await expect(store.consumeIfClear({ ...records, counters: [counter(`other:${ns}`)] })).resolves.toMatchObject({
        vetoed: true,
        counters: [],
      });
      expect(store.roundTrips - before).toBe(1);
      await expect(store.get(`rl:{other:${ns}}:default`)).resolves.toBe('1');
    });

    it('counts one round trip per slot of a getMany', async () => {
      const ns = randomUUID();
      const before = store.roundTrips;
      await store.getMany([`{${ns}-a}:1`, `{${ns}-a}:2`, `{${ns}-b}:1`]);
      expect(store.roundTrips - before).toBe(2);
    });

    it('blocks an untagged counter (its block marker shares its slot)', async () => {
      const spec = { key: `${randomUUID()}:untagged`, cost: 1, limit: 1, windowMs: 2000, blockMs: 1500 };
      expect((await store.consume([spec]))[0].blocked).toBe(false);
      expect((await store.consume([spec]))[0]).toMatchObject({ blocked: true, retryAfterMs: 1500 });
      expect((await store.consume([spec]))[0].blocked).toBe(true);
    });
  });

  describe('eviction policy', () => {
    /** A client whose one master reports `policy`: the shared cluster's real setting is left alone. */
    async function clusterWithOneMasterReporting(policy: string): Promise<Cluster> {
      const client = new Cluster(nodes.map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })));
      await new Promise<void>((resolve) => client.once('ready', () => resolve()));
      const masters = client.nodes('master');
      expect(masters.length).toBeGreaterThan(1);
      const last = masters[masters.length - 1];
      const config = last.config.bind(last) as (...args: string[]) => Promise<unknown>;
      (last as unknown as { config: (...args: string[]) => Promise<unknown> }).config = (...args: string[]) =>
        args[0] === 'GET' && args[1] === 'maxmemory-policy'
          ? Promise.resolve(['maxmemory-policy', policy])
          : config(...args);
      return client;
    }

    it('refuses the cluster when any one master evicts, and answers nothing', async () => {
      const client = await clusterWithOneMasterReporting('allkeys-lru');
      const store = new RedisSecurityStore(client, { logger: { warn: () => undefined } });
      try {
        await expect(store.checkConfiguration()).rejects.toBeInstanceOf(EvictingRedisPolicyError);
        await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await store.close();
        await client.quit();
      }
    });

    it('accepts it with a warning under allowEvictingPolicy', async () => {
      const client = await clusterWithOneMasterReporting('volatile-lru');
      const warnings: string[] = [];
      const store = new RedisSecurityStore(client, {
        allowEvictingPolicy: true,
        logger: { warn: (message) => warnings.push(message) },
      });
      try {
        await expect(store.checkConfiguration()).resolves.toBeUndefined();
        await expect(store.get(`k:${randomUUID()}`)).resolves.toBeNull();
        expect(warnings.join('\n')).toContain("'volatile-lru'");
      } finally {
        await store.close();
        await client.quit();
      }
    });

    it('passes a cluster whose masters are all noeviction', async () => {
      const store = new RedisSecurityStore({ cluster: { nodes } });
      try {
        await expect(store.checkConfiguration()).resolves.toBeUndefined();
      } finally {
        await store.close();
      }
    });
  });
});
