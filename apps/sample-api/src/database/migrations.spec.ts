import { randomUUID } from 'node:crypto';
import { type DataSource, MoreThanOrEqual, QueryFailedError } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { DATABASE_MIGRATIONS } from './migrations';
import { OrderEntity } from './order.entity';
import { SecurityEventEntity } from './security-event.entity';
import { fileSqljs, inMemorySqljs, type IsolatedDatabase, postgresSchema } from './testing/isolated-database';
import { UserEntity } from './user.entity';
import { describeWithServices } from '../../../../test/support/services';

const TABLES = ['users', 'orders', 'api_keys', 'security_events'];
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Target {
  readonly label: string;
  /** A second DataSource opened on the same database sees the first one's data. */
  readonly persistent: boolean;
  readonly create: () => Promise<IsolatedDatabase>;
}

const targets: Target[] = [
  { label: 'sql.js (in memory)', persistent: false, create: async () => inMemorySqljs() },
  { label: 'sql.js (file)', persistent: true, create: async () => fileSqljs() },
];

/** Declares `body` on each sql.js target and on PostgreSQL (without DATABASE_URL: skipped locally, failing in CI). */
function describeOnEachDatabase(title: string, body: (target: Target) => void): void {
  describe.each(targets)(`${title} on $label`, body);
  describeWithServices(`${title} on PostgreSQL`, ['postgres'], ({ postgres }) =>
    body({ label: 'PostgreSQL', persistent: true, create: () => postgresSchema(postgres) }),
  );
}

async function saveUser(ds: DataSource, overrides: Partial<UserEntity> = {}): Promise<UserEntity> {
  const users = ds.getRepository(UserEntity);
  return users.save(
    users.create({
      email: `user-${randomUUID()}@example.com`,
      name: 'Ada Lovelace',
      passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      ...overrides,
    }),
  );
}

async function saveOrder(ds: DataSource, userId: string): Promise<OrderEntity> {
  const orders = ds.getRepository(OrderEntity);
  return orders.save(orders.create({ userId, items: [{ sku: 'SKU-1', quantity: 2 }] }));
}

async function saveApiKey(ds: DataSource, userId: string, prefix = `sk_live_${randomUUID().slice(0, 8)}`) {
  const keys = ds.getRepository(ApiKeyEntity);
  return keys.save(keys.create({ userId, name: 'ci', prefix, keyHash: 'ab'.repeat(32), scopes: ['orders:read'] }));
}

async function executedMigrations(ds: DataSource): Promise<string[]> {
  const table = ds.driver.buildTableName('migrations', ds.driver.schema);
  const rows: { name: string }[] = await ds
    .createQueryBuilder()
    .select('m.name', 'name')
    .from(table, 'm')
    .orderBy('m.timestamp')
    .getRawMany();
  return rows.map((row) => row.name);
}

describeOnEachDatabase('migrations', ({ persistent, create }) => {
  let database: IsolatedDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    database = await create();
    ds = await database.open();
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('ran every migration once at initialisation and created every table', async () => {
    expect(await executedMigrations(ds)).toEqual(DATABASE_MIGRATIONS.map((migration) => new migration().name));
    const queryRunner = ds.createQueryRunner();
    try {
      for (const table of TABLES) expect(await queryRunner.hasTable(table)).toBe(true);
    } finally {
      await queryRunner.release();
    }
  });

  it('left a schema that matches the entities exactly (nothing for synchronize to change)', async () => {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('round-trips a user with the right types', async () => {
    const users = ds.getRepository(UserEntity);
    const before = Date.now();
    const saved = await saveUser(ds, { email: '  Ada@Example.COM ' });
    const loaded = await users.findOneByOrFail({ id: saved.id });

    expect(loaded.id).toMatch(UUID_V4);
    expect(loaded).toEqual({
      id: saved.id,
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      avatar: null,
      passwordHash: saved.passwordHash,
      role: 'user',
      isActive: true,
      internalNotes: null,
      tokensValidAfter: null,
      createdAt: saved.createdAt,
      updatedAt: saved.createdAt,
    });
    expect(loaded.createdAt).toBeInstanceOf(Date);
    expect(loaded.createdAt.getTime()).toBeGreaterThanOrEqual(before);

    loaded.isActive = false;
    loaded.role = 'admin';
    loaded.avatar = 'https://cdn.example.com/a.png';
    loaded.internalNotes = 'VIP';
    loaded.tokensValidAfter = new Date(1_767_225_600_123);
    await users.save(loaded);
    const updated = await users.findOneByOrFail({ id: saved.id });
    expect(updated).toMatchObject({ isActive: false, role: 'admin', avatar: loaded.avatar, internalNotes: 'VIP' });
    expect(typeof updated.isActive).toBe('boolean');
    expect(updated.tokensValidAfter).toEqual(new Date(1_767_225_600_123));
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(updated.createdAt.getTime());
  });

  it('finds users by email whatever its case, and compares dates in queries', async () => {
    const saved = await saveUser(ds, { email: 'grace@example.com' });
    const users = ds.getRepository(UserEntity);
    expect((await users.findOneBy({ email: 'Grace@EXAMPLE.com' }))?.id).toBe(saved.id);
    expect(await users.countBy({ id: saved.id, createdAt: MoreThanOrEqual(saved.createdAt) })).toBe(1);
    expect(await users.countBy({ id: saved.id, createdAt: MoreThanOrEqual(new Date(Date.now() + 60_000)) })).toBe(0);
  });

  it('round-trips an order with its items', async () => {
    const user = await saveUser(ds);
    const orders = ds.getRepository(OrderEntity);
    const saved = await orders.save(
      orders.create({
        userId: user.id,
        items: [
          { sku: 'SKU-1', quantity: 1 },
          { sku: 'SKU-"quoted"', quantity: 100 },
        ],
      }),
    );
    const loaded = await orders.findOneByOrFail({ id: saved.id });
    expect(loaded).toEqual({
      id: expect.stringMatching(UUID_V4),
      userId: user.id,
      items: [
        { sku: 'SKU-1', quantity: 1 },
        { sku: 'SKU-"quoted"', quantity: 100 },
      ],
      status: 'pending',
      createdAt: saved.createdAt,
    });
    expect(loaded.createdAt).toBeInstanceOf(Date);

    loaded.status = 'paid';
    await orders.save(loaded);
    expect((await orders.findOneByOrFail({ id: saved.id })).status).toBe('paid');
  });

  it('round-trips an API key', async () => {
    const user = await saveUser(ds);
    const keys = ds.getRepository(ApiKeyEntity);
    const saved = await saveApiKey(ds, user.id, 'sk_live_roundtrp');
    const loaded = await keys.findOneByOrFail({ prefix: 'sk_live_roundtrp' });
    expect(loaded).toEqual({
      id: saved.id,
      userId: user.id,
      name: 'ci',
      prefix: 'sk_live_roundtrp',
      keyHash: 'ab'.repeat(32),
      scopes: ['orders:read'],
      lastUsedAt: null,
      revokedAt: null,
      createdAt: saved.createdAt,
      activeSlot: null,
    });

    loaded.lastUsedAt = new Date(1_767_225_600_001);
    loaded.revokedAt = new Date(1_767_225_600_002);
    await keys.save(loaded);
    const revoked = await keys.findOneByOrFail({ id: saved.id });
    expect(revoked.lastUsedAt).toEqual(new Date(1_767_225_600_001));
    expect(revoked.revokedAt).toEqual(new Date(1_767_225_600_002));
  });

  it('round-trips security events and lists them newest first', async () => {
    const events = ds.getRepository(SecurityEventEntity);
    const type = `login_failed_${randomUUID()}`;
    const base = 1_767_225_600_000;
    await events.save([
      events.create({ type, occurredAt: new Date(base + 1), reason: 'first' }),
      events.create({
        type,
        occurredAt: new Date(base + 3),
        requestId: 'req-1',
        principalId: randomUUID(),
        ip: '2001:db8::1',
        route: 'POST /api/v1/auth/login',
        reason: 'third',
        details: { attempts: 3, locked: true, nested: { list: [1, 'two'] } },
      }),
      events.create({ type, occurredAt: new Date(base + 2), reason: 'second' }),
    ]);

    const listed = await events.find({ where: { type }, order: { occurredAt: 'DESC' } });
    expect(listed.map((event) => event.reason)).toEqual(['third', 'second', 'first']);
    const [newest, , oldest] = listed as [SecurityEventEntity, SecurityEventEntity, SecurityEventEntity];
    expect(newest).toMatchObject({
      requestId: 'req-1',
      ip: '2001:db8::1',
      details: { attempts: 3, locked: true, nested: { list: [1, 'two'] } },
    });
    expect(newest.occurredAt).toEqual(new Date(base + 3));
    expect(oldest).toMatchObject({ requestId: null, principalId: null, ip: null, route: null, details: null });
  });

  it('enforces one account per email, whatever its case', async () => {
    await saveUser(ds, { email: 'unique@example.com' });
    await expect(saveUser(ds, { email: 'UNIQUE@example.com' })).rejects.toBeInstanceOf(QueryFailedError);
    expect(await ds.getRepository(UserEntity).countBy({ email: 'unique@example.com' })).toBe(1);
  });

  it('enforces unique API key prefixes', async () => {
    const user = await saveUser(ds);
    await saveApiKey(ds, user.id, 'sk_live_dupe0001');
    await expect(saveApiKey(ds, user.id, 'sk_live_dupe0001')).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('holds one active API key per slot, slots 1 to 25 only; revoked keys (no slot) never collide', async () => {
    const user = await saveUser(ds);
    const other = await saveUser(ds);
    const keys = ds.getRepository(ApiKeyEntity);
    const withSlot = (userId: string, activeSlot: number | null) =>
      keys.save(
        keys.create({
          userId,
          name: 'slot',
          prefix: `sk_live_${randomUUID().slice(0, 8)}`,
          keyHash: 'cd'.repeat(32),
          scopes: [],
          activeSlot,
        }),
      );
    await withSlot(user.id, 1);
    await withSlot(user.id, 25);
    await withSlot(other.id, 1);
    await withSlot(user.id, null);
    await withSlot(user.id, null);
    await expect(withSlot(user.id, 1)).rejects.toBeInstanceOf(QueryFailedError);
    await expect(withSlot(user.id, 26)).rejects.toBeInstanceOf(QueryFailedError);
    await expect(withSlot(user.id, 0)).rejects.toBeInstanceOf(QueryFailedError);
    expect(await keys.countBy({ userId: user.id })).toBe(4);
  });

  it('rejects unknown roles and statuses, and orders of users that do not exist', async () => {
    await expect(saveUser(ds, { role: 'root' as UserEntity['role'] })).rejects.toBeInstanceOf(QueryFailedError);
    const user = await saveUser(ds);
    const orders = ds.getRepository(OrderEntity);
    await expect(
      orders.save(orders.create({ userId: user.id, items: [], status: 'shipped' as OrderEntity['status'] })),
    ).rejects.toBeInstanceOf(QueryFailedError);
    await expect(saveOrder(ds, randomUUID())).rejects.toBeInstanceOf(QueryFailedError);
  });

  it("deletes a user's orders and API keys with the user, but keeps security events", async () => {
    const user = await saveUser(ds);
    const other = await saveUser(ds);
    await saveOrder(ds, user.id);
    await saveOrder(ds, user.id);
    await saveOrder(ds, other.id);
    await saveApiKey(ds, user.id);
    const events = ds.getRepository(SecurityEventEntity);
    await events.save(events.create({ type: 'login_failed', principalId: user.id }));

    await ds.getRepository(UserEntity).delete({ id: user.id });

    expect(await ds.getRepository(OrderEntity).countBy({ userId: user.id })).toBe(0);
    expect(await ds.getRepository(ApiKeyEntity).countBy({ userId: user.id })).toBe(0);
    expect(await ds.getRepository(OrderEntity).countBy({ userId: other.id })).toBe(1);
    expect(await events.countBy({ principalId: user.id })).toBe(1);
  });

  it('is idempotent: running the migrations again changes nothing', async () => {
    const usersBefore = await ds.getRepository(UserEntity).count();
    expect(await ds.runMigrations()).toEqual([]);
    expect(await ds.showMigrations()).toBe(false);

    // Even when invoked directly, `up` only creates what is missing.
    const queryRunner = ds.createQueryRunner();
    try {
      for (const migration of DATABASE_MIGRATIONS) await new migration().up(queryRunner);
    } finally {
      await queryRunner.release();
    }

    expect(await ds.getRepository(UserEntity).count()).toBe(usersBefore);
    expect(await executedMigrations(ds)).toHaveLength(DATABASE_MIGRATIONS.length);
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });

  if (persistent) {
    it('migrates nothing when another DataSource opens the same database, and sees its data', async () => {
      const user = await saveUser(ds);
      const second = await database.open();
      expect(await executedMigrations(second)).toHaveLength(DATABASE_MIGRATIONS.length);
      expect(await second.getRepository(UserEntity).findOneByOrFail({ id: user.id })).toEqual(user);
    });
  }
});

describeOnEachDatabase('reverting migrations', ({ create }) => {
  let database: IsolatedDatabase;

  beforeAll(async () => {
    database = await create();
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('drops every table in reverse order, then migrates up again', async () => {
    const ds = await database.open();
    await saveOrder(ds, (await saveUser(ds)).id);
    for (let i = 0; i < DATABASE_MIGRATIONS.length; i++) await ds.undoLastMigration();

    const queryRunner = ds.createQueryRunner();
    try {
      for (const table of TABLES) expect(await queryRunner.hasTable(table)).toBe(false);
      expect(await executedMigrations(ds)).toEqual([]);

      expect(await ds.runMigrations()).toHaveLength(DATABASE_MIGRATIONS.length);
      for (const table of TABLES) expect(await queryRunner.hasTable(table)).toBe(true);
      expect(await ds.getRepository(UserEntity).count()).toBe(0);
    } finally {
      await queryRunner.release();
    }
  });
});

describeOnEachDatabase('numbering the active API keys that existed before slots', ({ create }) => {
  let database: IsolatedDatabase;

  beforeAll(async () => {
    database = await create();
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('gives the first 25 active keys of each user slots in creation order, and none to revoked or extra keys', async () => {
    const ds = await database.open();
    await ds.undoLastMigration();
    const user = await saveUser(ds);
    const other = await saveUser(ds);
    const rows = [
      ...Array.from({ length: 27 }, (_, i) => ({ userId: user.id, at: 1_000 + i, revokedAt: null })),
      { userId: user.id, at: 500, revokedAt: 2_000 },
      { userId: other.id, at: 3_000, revokedAt: null },
    ].map((row, i) => ({
      id: randomUUID(),
      userId: row.userId,
      name: `k${i}`,
      prefix: `sk_live_${randomUUID().slice(0, 8)}`,
      keyHash: 'ef'.repeat(32),
      scopes: '[]',
      lastUsedAt: null,
      revokedAt: row.revokedAt,
      createdAt: row.at,
    }));
    // Raw SQL: the entity already has the column this schema lacks.
    const table = ds.driver
      .buildTableName('api_keys', ds.driver.schema)
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
    const columns = Object.keys(rows[0]!);
    for (const row of rows) {
      const [sql, parameters] = ds.driver.escapeQueryWithParameters(
        `INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})`,
        row,
      );
      await ds.query(sql, parameters);
    }
    expect(await ds.runMigrations()).toHaveLength(1);

    const keys = await ds.getRepository(ApiKeyEntity).find({ order: { createdAt: 'ASC' } });
    const slotsOf = (userId: string) => keys.filter((key) => key.userId === userId).map((key) => key.activeSlot);
    expect(slotsOf(user.id)).toEqual([null, ...Array.from({ length: 25 }, (_, i) => i + 1), null, null]);
    expect(slotsOf(other.id)).toEqual([1]);
  });
});
