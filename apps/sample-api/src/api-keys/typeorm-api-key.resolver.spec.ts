import { randomUUID } from 'node:crypto';
import type { ApiKeyService } from '@api-security/nestjs';
import type { DataSource, Repository } from 'typeorm';
import { ApiKeyEntity } from '../database/api-key.entity';
import { inMemorySqljs, postgresSchema, type IsolatedDatabase } from '../database/testing/isolated-database';
import { UserEntity } from '../database/user.entity';
import { apiKeyGenerator } from './testing/api-key-generator';
import { TypeOrmApiKeyResolver } from './typeorm-api-key.resolver';
import { describeWithServices } from '../../../../test/support/services';

function suite(create: () => Promise<IsolatedDatabase>): void {
  let database: IsolatedDatabase;
  let ds: DataSource;
  let rows: Repository<ApiKeyEntity>;
  let users: Repository<UserEntity>;
  let generator: ApiKeyService;
  let resolver: TypeOrmApiKeyResolver;

  async function saveUser(overrides: Partial<UserEntity> = {}): Promise<UserEntity> {
    return users.save(
      users.create({
        email: `user-${randomUUID()}@example.com`,
        name: 'Ada',
        passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
        ...overrides,
      }),
    );
  }

  async function saveKey(userId: string, overrides: Partial<ApiKeyEntity> = {}) {
    const generated = generator.generate();
    const row = await rows.save(
      rows.create({
        userId,
        name: 'k',
        prefix: generated.prefix,
        keyHash: generated.hash,
        scopes: ['orders:read'],
        lastUsedAt: null,
        revokedAt: null,
        ...overrides,
      }),
    );
    return { row, ...generated };
  }

  beforeAll(async () => {
    generator = await apiKeyGenerator();
    database = await create();
    ds = await database.open();
    rows = ds.getRepository(ApiKeyEntity);
    users = ds.getRepository(UserEntity);
    resolver = new TypeOrmApiKeyResolver(rows);
  });

  afterAll(async () => {
    await database?.dispose();
  });

  it('finds a key by prefix with its owner’s role, its scopes and hash', async () => {
    const owner = await saveUser({ role: 'manager' });
    const { row, hash, prefix } = await saveKey(owner.id);
    expect(await resolver.findByPrefix(prefix)).toEqual({
      id: row.id,
      ownerId: owner.id,
      roles: ['manager'],
      scopes: ['orders:read'],
      keyHash: hash,
      revoked: false,
      expiresAt: null,
    });
  });

  it('answers null for an unknown prefix', async () => {
    expect(await resolver.findByPrefix('AAAAAAAAAAAA')).toBeNull();
  });

  it('reports a key with revokedAt as revoked', async () => {
    const owner = await saveUser();
    const { prefix } = await saveKey(owner.id, { revokedAt: new Date() });
    expect((await resolver.findByPrefix(prefix))?.revoked).toBe(true);
  });

  it('reports the keys of an inactive owner as revoked, and live again on reactivation', async () => {
    const owner = await saveUser();
    const { prefix } = await saveKey(owner.id);
    await users.update({ id: owner.id }, { isActive: false });
    expect((await resolver.findByPrefix(prefix))?.revoked).toBe(true);
    await users.update({ id: owner.id }, { isActive: true });
    expect((await resolver.findByPrefix(prefix))?.revoked).toBe(false);
  });

  it('follows a role change at once', async () => {
    const owner = await saveUser();
    const { prefix } = await saveKey(owner.id);
    await users.update({ id: owner.id }, { role: 'admin' });
    expect((await resolver.findByPrefix(prefix))?.roles).toEqual(['admin']);
  });

  it('records the last use', async () => {
    const owner = await saveUser();
    const { row } = await saveKey(owner.id);
    const usedAt = new Date('2031-05-06T07:08:09.010Z');
    await resolver.touch(row.id, usedAt);
    expect((await rows.findOneByOrFail({ id: row.id })).lastUsedAt).toEqual(usedAt);
  });

  it('loses the keys with their owner', async () => {
    const owner = await saveUser();
    const { prefix } = await saveKey(owner.id);
    await users.delete({ id: owner.id });
    expect(await resolver.findByPrefix(prefix)).toBeNull();
  });
}

describe('TypeOrmApiKeyResolver on sql.js (in memory)', () => {
  suite(async () => inMemorySqljs());
});

describeWithServices('TypeOrmApiKeyResolver (DATABASE_URL)', ['postgres'], ({ postgres: databaseUrl }) => {
  describe('TypeOrmApiKeyResolver on PostgreSQL', () => {
    suite(() => postgresSchema(databaseUrl));
  });
});
