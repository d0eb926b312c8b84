import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ConsoleLogger } from '@nestjs/common';
import { MemorySecurityStore } from './memory.store';
import { ResilientSecurityStore } from './resilient.store';
import { createSecurityStore, type SecurityStoreOptions } from './security-store.factory';
import { StoreUnavailableError } from './store-unavailable.error';
import { unusedPort } from '../../../../test/support/unused-port';

describe('createSecurityStore', () => {
  it('returns a memory store as is', async () => {
    const store = createSecurityStore({ type: 'memory', maxEntries: 10 });
    expect(store).toBeInstanceOf(MemorySecurityStore);
    await store.close();
  });

  it('wraps Redis in the outage policy, failing closed by default', async () => {
    const port = await unusedPort();
    const store = createSecurityStore({ type: 'redis', url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 200 });
    expect(store).toBeInstanceOf(ResilientSecurityStore);
    const warn = jest.spyOn(ConsoleLogger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await expect(store.increment('k', 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      warn.mockRestore();
      await store.close();
    }
  });

  it('fails open over Redis for counters only when asked to', async () => {
    const port = await unusedPort();
    const store = createSecurityStore({ type: 'redis', url: `redis://127.0.0.1:${port}`, onUnavailable: 'failOpen' });
    const warn = jest.spyOn(ConsoleLogger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const resilient = store as ResilientSecurityStore;
      await expect(resilient.forPurpose('rateLimit').increment('k', 1000)).resolves.toMatchObject({ value: 1 });
      await expect(resilient.forPurpose('revocation').get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.increment('k', 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      await store.close();
    }
  });

  it.each(['http://user:s3cret@localhost:6379', 'localhost:6379', ''])(
    'rejects store.url %p, naming the option and the fix without echoing the value',
    (url) => {
      expect(() => createSecurityStore({ type: 'redis', url })).toThrow(/store\.url.*redis:\/\/ or rediss:\/\//);
      try {
        createSecurityStore({ type: 'redis', url });
      } catch (error) {
        expect((error as Error).message).not.toContain('s3cret');
      }
    },
  );

  it('accepts rediss:// URLs without connecting, and speaks TLS once used', async () => {
    // A plain TCP listener stands in for the server: it records what a client sends first.
    const sockets: Socket[] = [];
    let firstBytes: Promise<Buffer> | undefined;
    const server = createServer((socket) => {
      sockets.push(socket);
      firstBytes ??= new Promise((resolve) => socket.once('data', resolve));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const warn = jest.spyOn(ConsoleLogger.prototype, 'warn').mockImplementation(() => undefined);
    const store = createSecurityStore({
      type: 'redis',
      url: `rediss://user:pw@127.0.0.1:${port}`,
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    try {
      expect(store).toBeInstanceOf(ResilientSecurityStore);
      // Creating the store opens nothing: an application boots even when Redis is not up yet.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(sockets.length).toBe(0);
      // First use connects over TLS: the first byte is a TLS handshake record (0x16), not a RESP command.
      await expect(store.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(sockets.length).toBeGreaterThan(0);
      expect((await firstBytes)?.[0]).toBe(0x16);
    } finally {
      warn.mockRestore();
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('builds a Redis Cluster store from seeds without connecting', async () => {
    const store = createSecurityStore({
      type: 'redis',
      cluster: { nodes: ['127.0.0.1:7000', { host: 'redis-2.invalid', port: 7001 }, '[::1]:7002'], password: 'pw' },
    });
    await store.close();
  });

  it('refuses store.url with store.cluster, and neither, naming the options', () => {
    expect(() =>
      createSecurityStore({ type: 'redis', url: 'redis://127.0.0.1:6379', cluster: { nodes: ['127.0.0.1:7000'] } }),
    ).toThrow(/store\.url and store\.cluster are exclusive/);
    expect(() => createSecurityStore({ type: 'redis' })).toThrow(/store\.url must be .*or set store\.cluster/);
  });

  it.each([[[]], [['localhost']], [['host:0']], [['host:70000']], [[{ host: '', port: 1 }]], [['a b:1']]])(
    'refuses cluster seeds %j, naming the option',
    (nodes) => {
      expect(() => createSecurityStore({ type: 'redis', cluster: { nodes, password: 's3cret' } })).toThrow(
        /store\.cluster\.nodes/,
      );
      try {
        createSecurityStore({ type: 'redis', cluster: { nodes, password: 's3cret' } });
      } catch (error) {
        expect((error as Error).message).not.toContain('s3cret');
      }
    },
  );

  it('rejects an unknown outage policy, naming the option', () => {
    expect(() => createSecurityStore({ type: 'memory', onUnavailable: 'ignore' as unknown as 'failOpen' })).toThrow(
      /store\.onUnavailable/,
    );
  });

  it('rejects failing open a security record, or an unknown purpose, naming it', () => {
    const url = 'redis://127.0.0.1:6379';
    expect(() =>
      createSecurityStore({ type: 'redis', url, onUnavailable: { revocation: 'failOpen' } as unknown as 'failOpen' }),
    ).toThrow(/store\.onUnavailable\.revocation: revocation always fails closed/);
    expect(() =>
      createSecurityStore({ type: 'redis', url, onUnavailable: { counters: 'failOpen' } as unknown as 'failOpen' }),
    ).toThrow(/store\.onUnavailable has an unknown purpose 'counters'/);
  });

  it('rejects an unknown store type', () => {
    expect(() => createSecurityStore({ type: 'mongo' } as unknown as SecurityStoreOptions)).toThrow(/store\.type/);
  });
});
