import { randomUUID } from 'node:crypto';
import { NotFoundException, ConflictException } from '@nestjs/common';
import { UnauthenticatedException, type ApiKeyService } from '@api-security/nestjs';
import { IsNull, type DataSource, type Repository } from 'typeorm';
import { ApiKeyEntity } from '../database/api-key.entity';
import { apiKeyGenerator } from './testing/api-key-generator';
import { inMemorySqljs, postgresSchema, type IsolatedDatabase } from '../database/testing/isolated-database';
import { UserEntity } from '../database/user.entity';
import { ApiKeysService, MAX_ACTIVE_API_KEYS_PER_USER } from './api-keys.service';
import { TypeOrmApiKeyResolver } from './typeorm-api-key.resolver';
import { describeWithServices } from '../../../../test/support/services';

async function saveUser(ds: DataSource, overrides: Partial<UserEntity> = {}): Promise<UserEntity> {
  const users = ds.getRepository(UserEntity);
  return users.save(
    users.create({
      email: `user-${randomUUID()}@example.com`,
      name: 'Ada',
      passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
      ...overrides,
    }),
  );
}

function suite(create: () => Promise<IsolatedDatabase>, shared = false): void {
  let database: IsolatedDatabase;
  let ds: DataSource;
  let rows: Repository<ApiKeyEntity>;
  let generator: ApiKeyService;
  let service: ApiKeysService;
  let resolver: TypeOrmApiKeyResolver;
  let alice: UserEntity;
  let bob: UserEntity;

  beforeAll(async () => {
    database = await create();
    ds = await database.open();
    rows = ds.getRepository(ApiKeyEntity);
    generator = await apiKeyGenerator();
    service = new ApiKeysService(rows, generator, ds.getRepository(UserEntity));
    resolver = new TypeOrmApiKeyResolver(rows);
    alice = await saveUser(ds);
    bob = await saveUser(ds, { role: 'manager' });
  });

  afterAll(async () => {
    await database?.dispose();
  });

  describe('ApiKeysService', () => {
    it('returns the key once and stores only its hash and prefix', async () => {
      const created = await service.create(alice.id, 'ci runner');
      expect(Object.keys(created).sort()).toEqual(['id', 'key', 'name', 'prefix']);
      expect(created.name).toBe('ci runner');
      expect(created.key).toMatch(/^sk_live_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      expect(generator.parse(created.key)).toEqual({ prefix: created.prefix });

      const row = await rows.findOneByOrFail({ id: created.id });
      expect(row.userId).toBe(alice.id);
      expect(row.prefix).toBe(created.prefix);
      expect(row.keyHash).toBe(generator.hash(created.key));
      expect(row.keyHash).not.toBe(created.key);
      expect(row.revokedAt).toBeNull();
      expect(row.lastUsedAt).toBeNull();
      // Not a single column holds the key or its secret part.
      const raw = JSON.stringify(await rows.createQueryBuilder('k').getRawMany());
      expect(raw).not.toContain(created.key);
      expect(raw).not.toContain(created.key.slice(-43));
    });

    it('gives every key its own key, prefix and id', async () => {
      const a = await service.create(alice.id, 'a');
      const b = await service.create(alice.id, 'a');
      expect(new Set([a.id, b.id]).size).toBe(2);
      expect(new Set([a.key, b.key]).size).toBe(2);
      expect(new Set([a.prefix, b.prefix]).size).toBe(2);
    });

    it('lists only the owner’s working keys, newest first, never the key or hash', async () => {
      const owner = await saveUser(ds);
      const first = await service.create(owner.id, 'first');
      const second = await service.create(owner.id, 'second');
      const revoked = await service.create(owner.id, 'revoked');
      await service.revoke(owner.id, revoked.id);
      await service.create(bob.id, 'not yours');
      await rows.update({ id: first.id }, { createdAt: new Date(Date.now() - 60_000) });
      await resolver.touch(second.id, new Date('2030-01-02T03:04:05.000Z'));

      const listed = await service.list(owner.id);
      expect(listed.map((k) => k.id)).toEqual([second.id, first.id]);
      for (const item of listed) {
        expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'scopes']);
        expect(item.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      }
      expect(listed[0]).toMatchObject({ name: 'second', prefix: second.prefix, scopes: [] });
      expect(listed[0]!.lastUsedAt).toBe('2030-01-02T03:04:05.000Z');
      expect(listed[1]!.lastUsedAt).toBeNull();
      const serialized = JSON.stringify(listed);
      for (const created of [first, second]) {
        expect(serialized).not.toContain(created.key);
        expect(serialized).not.toContain(generator.hash(created.key));
      }
    });

    it('revokes the owner’s key: revokedAt set, the resolver reports it revoked', async () => {
      const created = await service.create(alice.id, 'to revoke');
      expect((await resolver.findByPrefix(created.prefix))?.revoked).toBe(false);
      await service.revoke(alice.id, created.id);
      expect((await rows.findOneByOrFail({ id: created.id })).revokedAt).toBeInstanceOf(Date);
      expect((await resolver.findByPrefix(created.prefix))?.revoked).toBe(true);
    });

    it('revokeAllOf revokes every working key of the owner for good (slots freed), no one else’s', async () => {
      const owner = await saveUser(ds);
      const keys = [await service.create(owner.id, 'one'), await service.create(owner.id, 'two')];
      const bobs = await service.create(bob.id, 'bob stays');
      expect(await service.revokeAllOf(owner.id)).toBe(2);
      for (const key of keys) {
        const row = await rows.findOneByOrFail({ id: key.id });
        expect(row.revokedAt).toBeInstanceOf(Date);
        expect(row.activeSlot).toBeNull();
        expect((await resolver.findByPrefix(key.prefix))?.revoked).toBe(true);
      }
      expect((await resolver.findByPrefix(bobs.prefix))?.revoked).toBe(false);
      expect(await service.list(owner.id)).toEqual([]);
      expect(await service.revokeAllOf(owner.id)).toBe(0);
    });

    it('revokes and refuses (401) a key whose owner was deactivated while it was being created', async () => {
      const owner = await saveUser(ds, { isActive: false });
      await expect(service.create(owner.id, 'late')).rejects.toBeInstanceOf(UnauthenticatedException);
      const rowsOf = await rows.findBy({ userId: owner.id });
      expect(rowsOf).toHaveLength(1);
      expect(rowsOf[0]?.revokedAt).toBeInstanceOf(Date);
      expect(rowsOf[0]?.activeSlot).toBeNull();
    });

    it('answers 404 for another user’s key and changes nothing', async () => {
      const bobs = await service.create(bob.id, 'bob only');
      const before = await rows.findOneByOrFail({ id: bobs.id });
      await expect(service.revoke(alice.id, bobs.id)).rejects.toBeInstanceOf(NotFoundException);
      const after = await rows.findOneByOrFail({ id: bobs.id });
      expect(after).toEqual(before);
      expect(after.revokedAt).toBeNull();
      expect((await resolver.findByPrefix(bobs.prefix))?.revoked).toBe(false);
    });

    it.each([randomUUID(), 'not-a-uuid', '', "' OR 1=1 --"])('answers 404 for the unknown id %p', async (id) => {
      await expect(service.revoke(alice.id, id)).rejects.toBeInstanceOf(NotFoundException);
    });

    it('answers 404 when revoking twice', async () => {
      const created = await service.create(alice.id, 'twice');
      await service.revoke(alice.id, created.id);
      await expect(service.revoke(alice.id, created.id)).rejects.toBeInstanceOf(NotFoundException);
    });

    it(`refuses more than ${MAX_ACTIVE_API_KEYS_PER_USER} active keys per user`, async () => {
      const owner = await saveUser(ds);
      const made = [];
      for (let i = 0; i < MAX_ACTIVE_API_KEYS_PER_USER; i += 1) made.push(await service.create(owner.id, `k${i}`));
      await expect(service.create(owner.id, 'one too many')).rejects.toBeInstanceOf(ConflictException);
      await service.revoke(owner.id, made[0]!.id);
      await expect(service.create(owner.id, 'room again')).resolves.toMatchObject({ name: 'room again' });
    });

    /** Fires 100 creations at once (alternating between `services`) and checks that exactly the cap was made. */
    async function burst(services: ApiKeysService[]): Promise<void> {
      const owner = await saveUser(ds);
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => services[i % services.length]!.create(owner.id, `burst ${i}`)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_ACTIVE_API_KEYS_PER_USER);
      const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refusals).toHaveLength(100 - MAX_ACTIVE_API_KEYS_PER_USER);
      for (const { reason } of refusals) expect(reason).toBeInstanceOf(ConflictException);
      const active = await rows.findBy({ userId: owner.id, revokedAt: IsNull() });
      expect(active).toHaveLength(MAX_ACTIVE_API_KEYS_PER_USER);
      expect(active.map((row) => row.activeSlot).sort((a, b) => a! - b!)).toEqual(
        Array.from({ length: MAX_ACTIVE_API_KEYS_PER_USER }, (_, i) => i + 1),
      );
      expect(await service.list(owner.id)).toHaveLength(MAX_ACTIVE_API_KEYS_PER_USER);
      // Revoking frees exactly one slot, even under a second burst.
      await service.revoke(owner.id, active[0]!.id);
      const again = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) => services[i % services.length]!.create(owner.id, `again ${i}`)),
      );
      expect(again.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    }

    it(`makes exactly ${MAX_ACTIVE_API_KEYS_PER_USER} keys of 100 parallel creations; the others get 409`, async () => {
      await burst([service]);
    });

    if (shared) {
      it(`makes exactly ${MAX_ACTIVE_API_KEYS_PER_USER} keys of 100 parallel creations spread over two app instances`, async () => {
        const second = await database.open();
        await burst([
          service,
          new ApiKeysService(second.getRepository(ApiKeyEntity), generator, second.getRepository(UserEntity)),
        ]);
      });
    }
  });
}

describe('ApiKeysService on sql.js (in memory)', () => {
  suite(async () => inMemorySqljs());
});

describeWithServices('ApiKeysService (DATABASE_URL)', ['postgres'], ({ postgres: databaseUrl }) => {
  describe('ApiKeysService on PostgreSQL', () => {
    suite(() => postgresSchema(databaseUrl), true);
  });
});
