import type { SecurityPrincipal } from '../common/security-principal';
import { scopeToOwner } from './list-scope';
import {
  inMemoryDatabase,
  OrderLineRow,
  OrderRow,
  postgresDatabase,
  seed,
  type OwnershipDatabase,
} from '../../spec-support/ownership-entities';
import { describeWithServices } from '../../../../test/support/services';

const principal = (id: string, roles: string[] = ['user']): SecurityPrincipal => ({
  id,
  roles,
  authMethod: 'jwt',
  scopes: [],
});

describe('scopeToOwner', () => {
  it('builds an owner condition, nested for a relation path', () => {
    expect(scopeToOwner(principal('alice'))).toEqual({ userId: 'alice' });
    expect(scopeToOwner(principal('alice'), { ownerColumn: 'ownerId' })).toEqual({ ownerId: 'alice' });
    expect(scopeToOwner(principal('alice'), { ownerColumn: 'order.userId' })).toEqual({ order: { userId: 'alice' } });
  });

  it('leaves bypass roles unscoped, through the hierarchy', () => {
    expect(scopeToOwner(principal('root', ['admin']))).toEqual({});
    expect(scopeToOwner(principal('m', ['manager']))).toEqual({ userId: 'm' });
    expect(scopeToOwner(principal('m', ['manager']), { bypassRoles: ['user'] })).toEqual({});
    expect(scopeToOwner(principal('root', ['admin']), { bypassRoles: [] })).toEqual({ userId: 'root' });
    expect(
      scopeToOwner(principal('s', ['support']), { bypassRoles: ['auditor'], hierarchy: { support: ['auditor'] } }),
    ).toEqual({});
  });

  it('refuses a principal without id, which TypeORM would turn into "no condition"', () => {
    expect(() => scopeToOwner(principal(''))).toThrow(TypeError);
    expect(() => scopeToOwner(undefined as unknown as SecurityPrincipal)).toThrow(TypeError);
    expect(() => scopeToOwner({ roles: [] } as unknown as SecurityPrincipal)).toThrow(TypeError);
    expect(() => scopeToOwner(principal('alice'), { ownerColumn: 'order..userId' })).toThrow(TypeError);
  });

  function scenarios(open: () => Promise<OwnershipDatabase>): void {
    let db: OwnershipDatabase;
    beforeAll(async () => {
      db = await open();
      await seed(db.dataSource);
    });
    afterAll(() => db.dispose());

    const ids = (rows: { id: string | number }[]) => rows.map((r) => r.id).sort();

    it('returns only the caller’s rows, and every row to an admin', async () => {
      const orders = db.dataSource.getRepository(OrderRow);
      expect(ids(await orders.find({ where: { ...scopeToOwner<OrderRow>(principal('alice')) } }))).toEqual([
        'o-a1',
        'o-a2',
      ]);
      expect(ids(await orders.find({ where: scopeToOwner<OrderRow>(principal('bob')) }))).toEqual(['o-b1']);
      expect(ids(await orders.find({ where: scopeToOwner<OrderRow>(principal('nobody')) }))).toEqual([]);
      expect(ids(await orders.find({ where: scopeToOwner<OrderRow>(principal('root', ['admin'])) }))).toHaveLength(3);
    });

    it('wins over a caller-supplied owner filter when spread last', async () => {
      const orders = db.dataSource.getRepository(OrderRow);
      const where = { userId: 'bob', status: 'paid', ...scopeToOwner<OrderRow>(principal('alice')) };
      expect(ids(await orders.find({ where }))).toEqual(['o-a1']);
    });

    it('scopes through a relation', async () => {
      const lines = db.dataSource.getRepository(OrderLineRow);
      const mine = await lines.find({
        where: scopeToOwner<OrderLineRow>(principal('bob'), { ownerColumn: 'order.userId' }),
      });
      expect(mine.map((l) => l.sku)).toEqual(['B']);
    });
  }

  describe('on sql.js (in memory)', () => scenarios(inMemoryDatabase));

  describeWithServices('on PostgreSQL (isolated schema)', ['postgres'], ({ postgres }) =>
    scenarios(() => postgresDatabase(postgres)),
  );
});
