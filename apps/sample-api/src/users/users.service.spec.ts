import { randomUUID } from 'node:crypto';
import type { PasswordService, RevocationService } from '@api-security/nestjs';
import type { AppConfig } from '../config/app-config';
import { inMemorySqljs, postgresSchema, type IsolatedDatabase } from '../database/testing/isolated-database';
import { UserEntity } from '../database/user.entity';
import type { ApiKeysService } from '../api-keys/api-keys.service';
import { UsersService } from './users.service';
import { describeWithServices } from '../../../../test/support/services';

function suite(create: () => Promise<IsolatedDatabase>): void {
  let database: IsolatedDatabase;
  let service: UsersService;
  let revoked: string[];
  let keysRevoked: string[];

  beforeAll(async () => {
    database = await create();
    const ds = await database.open();
    revoked = [];
    keysRevoked = [];
    const revocation = { revokeAllForUser: async (id: string) => void revoked.push(id) };
    const apiKeys = {
      revokeAllOf: async (id: string) => {
        // Written before the keys are revoked: a key created meanwhile sees its owner inactive.
        expect((await ds.getRepository(UserEntity).findOneByOrFail({ id })).isActive).toBe(false);
        keysRevoked.push(id);
        return 0;
      },
    };
    service = new UsersService(
      ds.getRepository(UserEntity),
      {} as PasswordService,
      revocation as unknown as RevocationService,
      {} as AppConfig,
      apiKeys as unknown as ApiKeysService,
    );
    const users = ds.getRepository(UserEntity);
    saveUser = (role: UserEntity['role'] = 'user') =>
      users.save(
        users.create({
          email: `user-${randomUUID()}@example.com`,
          name: 'Ada',
          passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
          role,
        }),
      );
  });

  afterAll(async () => {
    await database?.dispose();
  });

  let saveUser: (role?: UserEntity['role']) => Promise<UserEntity>;

  it('keeps a deactivation that races 30 concurrent edits of other fields', async () => {
    const user = await saveUser();
    await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => service.update(user.id, { name: `Name ${i}` })),
      service.update(user.id, { isActive: false }),
      ...Array.from({ length: 15 }, (_, i) => service.update(user.id, { internalNotes: `note ${i}` })),
    ]);
    const stored = await service.findById(user.id);
    expect(stored?.isActive).toBe(false);
    expect(stored?.name).toMatch(/^Name \d+$/);
    expect(revoked).toContain(user.id);
    expect(keysRevoked).toContain(user.id);
  });

  it('revokes API keys on deactivation only, not on reactivation or other edits', async () => {
    const user = await saveUser();
    keysRevoked.length = 0;
    await service.update(user.id, { name: 'Renamed', role: 'manager' });
    expect(keysRevoked).toEqual([]);
    await service.update(user.id, { isActive: false });
    await service.update(user.id, { isActive: true });
    expect(keysRevoked).toEqual([user.id]);
  });

  it('ends sessions once per real role change, however many of 30 concurrent requests ask for it', async () => {
    const user = await saveUser('manager');
    revoked.length = 0;
    await Promise.all(Array.from({ length: 30 }, () => service.update(user.id, { role: 'user' })));
    expect((await service.findById(user.id))?.role).toBe('user');
    expect(revoked).toEqual([user.id]);
    await service.update(user.id, { role: 'user', name: 'Same role' });
    expect(revoked).toEqual([user.id]);
  });
}

describe('UsersService on sql.js (in memory)', () => {
  suite(async () => inMemorySqljs());
});

describeWithServices('UsersService (DATABASE_URL)', ['postgres'], ({ postgres: databaseUrl }) => {
  describe('UsersService on PostgreSQL', () => {
    suite(() => postgresSchema(databaseUrl));
  });
});
