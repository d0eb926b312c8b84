import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource, type DataSourceOptions, type Repository } from 'typeorm';
import {
  API_KEY_RESOLVER,
  ApiKeyAuthenticator,
  ApiKeyService,
  ApiSecurityModule,
  ErrorCode,
} from '@api-security/nestjs';
import { ApiKeysModule } from '../apps/sample-api/src/api-keys/api-keys.module';
import { buildDataSourceOptions, IN_MEMORY_SQLITE } from '../apps/sample-api/src/database/data-source.options';
import { UserEntity } from '../apps/sample-api/src/database/user.entity';
import {
  CapturingLogger,
  FixtureApiKeyResolver,
  FixtureApiKeysModule,
  FixtureSessionAuthenticator,
  WhoAmIController,
} from './fixtures/api-key.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

/** Every secret a suite issued, and everything the server said, for the "never leaked" checks. */
class LeakWatch {
  readonly secrets: string[] = [];
  readonly said: string[] = [];

  secret<T extends { key: string }>(issued: T): T {
    this.secrets.push(issued.key);
    return issued;
  }

  seen(res: request.Response): request.Response {
    this.said.push(`${JSON.stringify(res.headers)}\n${res.text}`);
    return res;
  }

  expectNoLeak(logs: CapturingLogger): void {
    expect(this.secrets.length).toBeGreaterThan(3);
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const secret of this.secrets) {
      const secretPart = secret.slice(-43);
      for (const text of [...this.said, ...logs.lines]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secretPart);
      }
    }
  }
}

describe.each(ADAPTERS)('API keys over HTTP (%s)', (kind) => {
  let app: INestApplication;
  let keys: ApiKeyService;
  let resolver: FixtureApiKeyResolver;
  const logs = new CapturingLogger();
  const watch = new LeakWatch();
  const get = async (path: string, key?: string, header = 'X-API-Key') => {
    const req = request(app.getHttpServer()).get(path);
    return watch.seen(await (key === undefined ? req : req.set(header, key)));
  };

  beforeAll(async () => {
    app = await createApp(
      kind,
      {
        imports: [
          ApiSecurityModule.forRoot({ authenticators: [ApiKeyAuthenticator], apiKeys: { touchIntervalSeconds: 60 } }),
          FixtureApiKeysModule,
        ],
        controllers: [WhoAmIController],
      },
      (created) => created.useLogger(logs),
    );
    keys = app.get(ApiKeyService);
    resolver = app.get<FixtureApiKeyResolver>(API_KEY_RESOLVER, { strict: false });
  });
  afterAll(async () => {
    await app?.close();
  });

  const issue = (overrides?: Parameters<FixtureApiKeyResolver['issue']>[1]) =>
    watch.secret(resolver.issue(keys, overrides));

  it('admits a valid key as an api-key principal of its owner', async () => {
    const { key, id } = issue({ ownerId: 'owner-42', roles: ['manager'] });
    const res = await get('/api/whoami', key);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: 'owner-42',
      roles: ['manager'],
      authMethod: 'api-key',
      scopes: ['things:read'],
      tokenId: id,
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await get('/api/whoami', key, 'x-api-key')).status).toBe(200);
  });

  it('answers 401 without the header', async () => {
    expectProblem(await get('/api/whoami'), 401, ErrorCode.UNAUTHENTICATED);
  });

  it.each([
    ['an empty value', ''],
    ['garbage', 'hello'],
    ['a bearer-style value', 'Bearer abc'],
    ['only the key prefix', 'sk_live_'],
    ['a key of another environment', `sk_test_${'A'.repeat(12)}_${randomBytes(32).toString('base64url')}`],
    ['an over-long value', `sk_live_${'A'.repeat(4000)}`],
  ])('answers 401 for a malformed key (%s)', async (_label, value) => {
    expectProblem(await get('/api/whoami', value), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('answers 401 for a well-formed key nobody issued', async () => {
    const stranger = watch.secret(keys.generate());
    expectProblem(await get('/api/whoami', stranger.key), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('answers 401 for the right prefix with the wrong secret', async () => {
    const { key, prefix } = issue();
    const forged = `sk_live_${prefix}_${randomBytes(32).toString('base64url')}`;
    expect(forged).not.toBe(key);
    expect(keys.parse(forged)).toEqual({ prefix });
    expectProblem(await get('/api/whoami', forged), 401, ErrorCode.UNAUTHENTICATED);
    expect((await get('/api/whoami', key)).status).toBe(200);
  });

  it('stops a key the moment it is revoked', async () => {
    const { key, prefix } = issue();
    expect((await get('/api/whoami', key)).status).toBe(200);
    resolver.revoke(prefix);
    expectProblem(await get('/api/whoami', key), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('answers 401 for an expired key', async () => {
    const { key } = issue({ expiresAt: new Date(Date.now() - 1) });
    expectProblem(await get('/api/whoami', key), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('never takes the key from the query string', async () => {
    const { key } = issue();
    const encoded = encodeURIComponent(key);
    for (const query of [`api_key=${encoded}`, `x-api-key=${encoded}`, `apiKey=${encoded}`, `key=${encoded}`]) {
      expectProblem(await get(`/api/whoami?${query}`), 401, ErrorCode.UNAUTHENTICATED);
    }
  });

  it('records the last use, once per interval however busy the key', async () => {
    const { key, id } = issue();
    for (let i = 0; i < 5; i += 1) expect((await get('/api/whoami', key)).status).toBe(200);
    const touched = resolver.touches.filter((t) => t.id === id);
    expect(touched).toHaveLength(1);
    expect(Math.abs(touched[0]!.usedAt.getTime() - Date.now())).toBeLessThan(10_000);
  });

  it('reports refusals as authentication.failure events with the reason and public prefix only', async () => {
    const { key, prefix } = issue({ revoked: true });
    const before = logs.lines.length;
    expectProblem(await get('/api/whoami', key), 401, ErrorCode.UNAUTHENTICATED);
    const events = logs.lines.slice(before).filter((line) => line.includes('authentication.failure'));
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('"reason":"revoked"');
    expect(events[0]).toContain(`"keyPrefix":"${prefix}"`);
  });

  // Last on purpose: it reads everything the tests above made the server say and log.
  it('never put a key into a response or a log line', () => {
    watch.expectNoLeak(logs);
  });
});

describe.each(ADAPTERS)('API keys without a resolver (%s)', (kind) => {
  let app: INestApplication;
  const logs = new CapturingLogger();
  const watch = new LeakWatch();

  beforeAll(async () => {
    app = await createApp(
      kind,
      {
        imports: [ApiSecurityModule.forRoot({ authenticators: [ApiKeyAuthenticator] })],
        controllers: [WhoAmIController],
      },
      (created) => created.useLogger(logs),
    );
  });
  afterAll(async () => {
    await app?.close();
  });

  it('warns once at boot', () => {
    expect(logs.lines.filter((line) => line.includes('No API key resolver is registered'))).toHaveLength(1);
  });

  it('refuses every key (fail closed)', async () => {
    const keys = app.get(ApiKeyService);
    for (let i = 0; i < 4; i += 1) {
      const { key } = watch.secret(keys.generate());
      const res = watch.seen(await request(app.getHttpServer()).get('/api/whoami').set('X-API-Key', key));
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
    }
    expect(logs.lines.filter((line) => line.includes('No API key resolver is registered'))).toHaveLength(1);
    expect(logs.lines.filter((line) => line.includes('"reason":"no_resolver"'))).toHaveLength(4);
  });

  // Last on purpose: it reads everything the tests above made the server say and log.
  it('never put a key into a response or a log line', () => {
    watch.expectNoLeak(logs);
  });
});

/** The sample app's database for this suite: a fresh PostgreSQL schema with DATABASE_URL, else sql.js in memory. */
async function isolatedDatabaseOptions(): Promise<{ options: DataSourceOptions; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { options: buildDataSourceOptions({ sqlitePath: IN_MEMORY_SQLITE }), drop: async () => undefined };
  const schema = `e2e_keys_${process.pid}_${randomBytes(5).toString('hex')}`;
  const admin = await new DataSource({ type: 'postgres', url }).initialize();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  return {
    options: buildDataSourceOptions({ databaseUrl: url, schema }),
    drop: async () => {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.destroy();
      }
    },
  };
}

const SAMPLE_DATABASE = process.env.DATABASE_URL ? 'PostgreSQL' : 'sql.js';

describe.each(ADAPTERS)(`sample app api-keys routes (%s, ${SAMPLE_DATABASE})`, (kind) => {
  let app: INestApplication;
  let drop: () => Promise<void> = async () => undefined;
  let users: Repository<UserEntity>;
  let keys: ApiKeyService;
  let alice: UserEntity;
  let bob: UserEntity;
  const logs = new CapturingLogger();
  const watch = new LeakWatch();
  const http = () => request(app.getHttpServer());
  const session = (user: UserEntity) => `Bearer session:${user.id}`;

  async function saveUser(): Promise<UserEntity> {
    return users.save(
      users.create({
        email: `user-${randomUUID()}@example.com`,
        name: 'Ada',
        passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      }),
    );
  }

  /** Creates a key through the route; the one response allowed to contain it is not watched. */
  async function createKey(user: UserEntity, name = 'ci'): Promise<{ id: string; key: string; prefix: string }> {
    const res = await http().post('/api/v1/api-keys').set('Authorization', session(user)).send({ name });
    expect(res.status).toBe(201);
    return watch.secret(res.body as { id: string; key: string; prefix: string });
  }

  beforeAll(async () => {
    const database = await isolatedDatabaseOptions();
    drop = database.drop;
    app = await createApp(
      kind,
      {
        imports: [
          TypeOrmModule.forRoot(database.options),
          ApiSecurityModule.forRoot({ authenticators: [FixtureSessionAuthenticator, ApiKeyAuthenticator] }),
          ApiKeysModule,
        ],
        controllers: [WhoAmIController],
      },
      (created) => created.useLogger(logs),
    );
    users = app.get<DataSource>(getDataSourceToken()).getRepository(UserEntity);
    keys = app.get(ApiKeyService);
    alice = await saveUser();
    bob = await saveUser();
  });
  afterAll(async () => {
    await app?.close();
    await drop();
  });

  it('creates a key, shown once, that then authenticates as its owner', async () => {
    const res = await http().post('/api/v1/api-keys').set('Authorization', session(alice)).send({ name: 'deploy bot' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = watch.secret(res.body as { id: string; name: string; key: string; prefix: string });
    expect(Object.keys(created).sort()).toEqual(['id', 'key', 'name', 'prefix']);
    expect(created.name).toBe('deploy bot');
    expect(created.key).toMatch(/^sk_live_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.key).toContain(created.prefix);

    const me = watch.seen(await http().get('/api/whoami').set('X-API-Key', created.key));
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: alice.id, roles: ['user'], authMethod: 'api-key', scopes: [], tokenId: created.id });
  });

  it('lists the caller’s own keys, never the key or its hash', async () => {
    const mine = await createKey(alice, 'listed');
    const theirs = await createKey(bob, 'bob');
    const res = watch.seen(await http().get('/api/v1/api-keys').set('Authorization', session(alice)));
    expect(res.status).toBe(200);
    const list = res.body as Record<string, unknown>[];
    for (const item of list) {
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'scopes']);
    }
    expect(list.map((item) => item.id)).toContain(mine.id);
    expect(list.map((item) => item.id)).not.toContain(theirs.id);
    expect(list.find((item) => item.id === mine.id)).toMatchObject({ name: 'listed', prefix: mine.prefix, scopes: [] });
    expect(res.text).not.toContain(keys.hash(mine.key));
  });

  it.each<[string, unknown]>([
    ['an unknown field', { name: 'x', scopes: ['admin'] }],
    ['an owner of its choosing', { name: 'x', userId: randomUUID() }],
    ['no name', {}],
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a name over 100 characters', { name: 'x'.repeat(101) }],
    ['a name that is not a string', { name: 42 }],
  ])('refuses %s with 400', async (_label, body) => {
    const res = watch.seen(
      await http()
        .post('/api/v1/api-keys')
        .set('Authorization', session(alice))
        .send(body as object),
    );
    expectProblem(res, 400, ErrorCode.VALIDATION);
  });

  it('does not let an API key manage API keys (403), and changes nothing', async () => {
    const { key, id } = await createKey(alice, 'no self-service');
    const withKey = (req: request.Test) => req.set('X-API-Key', key);
    expectProblem(watch.seen(await withKey(http().get('/api/v1/api-keys'))), 403, ErrorCode.FORBIDDEN);
    expectProblem(
      watch.seen(await withKey(http().post('/api/v1/api-keys')).send({ name: 'child' })),
      403,
      ErrorCode.FORBIDDEN,
    );
    expectProblem(watch.seen(await withKey(http().delete(`/api/v1/api-keys/${id}`))), 403, ErrorCode.FORBIDDEN);
    expect(watch.seen(await http().get('/api/whoami').set('X-API-Key', key)).status).toBe(200);
    const list = watch.seen(await http().get('/api/v1/api-keys').set('Authorization', session(alice)));
    expect((list.body as { name: string }[]).filter((k) => k.name === 'child')).toEqual([]);
  });

  it('answers 404 for another user’s key or an unknown id, and that key keeps working', async () => {
    const bobs = await createKey(bob, 'bob keeps it');
    for (const id of [bobs.id, randomUUID(), 'not-an-id']) {
      const res = watch.seen(await http().delete(`/api/v1/api-keys/${id}`).set('Authorization', session(alice)));
      expectProblem(res, 404, ErrorCode.NOT_FOUND);
    }
    expect(watch.seen(await http().get('/api/whoami').set('X-API-Key', bobs.key)).status).toBe(200);
  });

  it('revokes the owner’s key with 204, and the key stops working at once', async () => {
    const { key, id } = await createKey(alice, 'short-lived');
    expect(watch.seen(await http().get('/api/whoami').set('X-API-Key', key)).status).toBe(200);
    const res = watch.seen(await http().delete(`/api/v1/api-keys/${id}`).set('Authorization', session(alice)));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expectProblem(watch.seen(await http().get('/api/whoami').set('X-API-Key', key)), 401, ErrorCode.UNAUTHENTICATED);
    const list = watch.seen(await http().get('/api/v1/api-keys').set('Authorization', session(alice)));
    expect((list.body as { id: string }[]).map((k) => k.id)).not.toContain(id);
  });

  it('records when a key was last used', async () => {
    const { key, id } = await createKey(alice, 'used');
    expect(watch.seen(await http().get('/api/whoami').set('X-API-Key', key)).status).toBe(200);
    let lastUsedAt: unknown = null;
    for (let attempt = 0; attempt < 50 && lastUsedAt === null; attempt += 1) {
      const list = watch.seen(await http().get('/api/v1/api-keys').set('Authorization', session(alice)));
      lastUsedAt = (list.body as { id: string; lastUsedAt: string | null }[]).find((k) => k.id === id)?.lastUsedAt;
      if (lastUsedAt === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(typeof lastUsedAt).toBe('string');
    expect(Math.abs(Date.parse(lastUsedAt as string) - Date.now())).toBeLessThan(60_000);
  });

  it('stops the keys of a deactivated owner at once', async () => {
    const carol = await saveUser();
    const { key } = await createKey(carol, 'carol');
    expect(watch.seen(await http().get('/api/whoami').set('X-API-Key', key)).status).toBe(200);
    await users.update({ id: carol.id }, { isActive: false });
    expectProblem(watch.seen(await http().get('/api/whoami').set('X-API-Key', key)), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('requires authentication on every api-keys route', async () => {
    expectProblem(watch.seen(await http().get('/api/v1/api-keys')), 401, ErrorCode.UNAUTHENTICATED);
    expectProblem(
      watch.seen(await http().post('/api/v1/api-keys').send({ name: 'x' })),
      401,
      ErrorCode.UNAUTHENTICATED,
    );
    expectProblem(watch.seen(await http().delete(`/api/v1/api-keys/${randomUUID()}`)), 401, ErrorCode.UNAUTHENTICATED);
  });

  // Last on purpose: it reads everything the tests above made the server say and log.
  it('never put a key into a response or a log line', () => {
    watch.expectNoLeak(logs);
  });
});
