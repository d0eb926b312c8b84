import type { SecurityPrincipal } from '../common/security-principal';
import {
  ALICE_DOCUMENT,
  DocumentRow,
  inMemoryDatabase,
  OrderLineRow,
  OrderRow,
  postgresDatabase,
  seed,
  type OwnershipDatabase,
} from '../../spec-support/ownership-entities';
import { TypeOrmOwnershipResolver } from './typeorm-ownership.resolver';
import { describeWithServices } from '../../../../test/support/services';

const principal = (id: string, roles: string[] = ['user']): SecurityPrincipal => ({
  id,
  roles,
  authMethod: 'jwt',
  scopes: [],
});
const alice = principal('alice');
const bob = principal('bob');

function scenarios(open: () => Promise<OwnershipDatabase>): void {
  let db: OwnershipDatabase;
  let lines: { aliceLine: number; bobLine: number };

  beforeAll(async () => {
    db = await open();
    lines = await seed(db.dataSource);
  });
  afterAll(() => db.dispose());
  beforeEach(() => {
    db.logger.queries.length = 0;
  });

  const orders = () => new TypeOrmOwnershipResolver({ dataSource: db.dataSource, entity: OrderRow });

  it('answers true for the owner and false for anyone else, in one SELECT … LIMIT 1', async () => {
    const resolver = orders();
    await expect(resolver.owns(alice, 'o-a1')).resolves.toBe(true);
    expect(db.logger.queries).toHaveLength(1);
    expect(db.logger.queries[0]).toMatch(/^SELECT 1 AS "found" FROM "(\w+"\.")?authz_orders" "owned" WHERE/);
    expect(db.logger.queries[0]).toMatch(/"owned"\."id" = .+ AND "owned"\."userId" = .+ LIMIT 1$/);
    await expect(resolver.owns(bob, 'o-a1')).resolves.toBe(false);
    await expect(resolver.owns(bob, 'o-b1')).resolves.toBe(true);
  });

  it('answers false for an unknown id', async () => {
    await expect(orders().owns(alice, 'o-zz')).resolves.toBe(false);
  });

  it('never matches another spelling of the id or of the owner', async () => {
    const resolver = orders();
    for (const id of ['O-A1', 'o-a1 ', ' o-a1', 'o-a1/', '../o-a1', 'o-a1%00', "o-a1' OR '1'='1", 'o-a%', 'o-a_']) {
      await expect(resolver.owns(alice, id)).resolves.toBe(false);
    }
    // A user whose id differs only in case owns nothing of Alice's.
    await expect(resolver.owns(principal('ALICE'), 'o-a1')).resolves.toBe(false);
  });

  it('refuses an empty id or a principal without id without querying', async () => {
    await expect(orders().owns(alice, '')).resolves.toBe(false);
    await expect(orders().owns(principal(''), 'o-a1')).resolves.toBe(false);
    expect(db.logger.queries).toHaveLength(0);
  });

  it('works from a repository and custom column names', async () => {
    const resolver = new TypeOrmOwnershipResolver({
      repository: db.dataSource.getRepository(OrderRow),
      idColumn: 'id',
      ownerColumn: 'userId',
    });
    await expect(resolver.owns(alice, 'o-a2')).resolves.toBe(true);
    await expect(resolver.owns(bob, 'o-a2')).resolves.toBe(false);
  });

  it('follows a relation path with a join, still one query', async () => {
    const resolver = new TypeOrmOwnershipResolver({
      dataSource: db.dataSource,
      entity: OrderLineRow,
      relationPath: 'order.userId',
    });
    await expect(resolver.owns(alice, String(lines.aliceLine))).resolves.toBe(true);
    expect(db.logger.queries).toHaveLength(1);
    expect(db.logger.queries[0]).toMatch(/INNER JOIN "(\w+"\.")?authz_orders" "owner0"/);
    await expect(resolver.owns(bob, String(lines.aliceLine))).resolves.toBe(false);
    await expect(resolver.owns(bob, String(lines.bobLine))).resolves.toBe(true);
  });

  it('refuses non-canonical integer ids that the database would cast to the same row', async () => {
    const resolver = new TypeOrmOwnershipResolver({
      dataSource: db.dataSource,
      entity: OrderLineRow,
      relationPath: 'order.userId',
    });
    const id = String(lines.aliceLine);
    for (const variant of [`0${id}`, `+${id}`, `${id}.0`, ` ${id}`, `${id}e0`, `0x${id}`, 'abc']) {
      await expect(resolver.owns(alice, variant)).resolves.toBe(false);
    }
    expect(db.logger.queries).toHaveLength(0);
  });

  it('refuses non-canonical UUIDs (PostgreSQL would read upper case, braces or no hyphens as the same row)', async () => {
    const resolver = new TypeOrmOwnershipResolver({
      dataSource: db.dataSource,
      entity: DocumentRow,
      ownerColumn: 'ownerId',
    });
    await expect(resolver.owns(alice, ALICE_DOCUMENT)).resolves.toBe(true);
    await expect(resolver.owns(bob, ALICE_DOCUMENT)).resolves.toBe(false);
    db.logger.queries.length = 0;
    const variants = [
      ALICE_DOCUMENT.toUpperCase(),
      `{${ALICE_DOCUMENT}}`,
      ALICE_DOCUMENT.replace(/-/g, ''),
      'not-a-uuid',
    ];
    for (const variant of variants) await expect(resolver.owns(alice, variant)).resolves.toBe(false);
    // Refused before the database, which would otherwise cast them (or raise on the malformed one).
    expect(db.logger.queries).toHaveLength(0);
  });

  it('fails on a misconfigured column at construction, since the data source is initialised', () => {
    expect(
      () => new TypeOrmOwnershipResolver({ dataSource: db.dataSource, entity: OrderRow, ownerColumn: 'owner' }),
    ).toThrow(/OrderRow has no column 'owner'/);
    expect(
      () =>
        new TypeOrmOwnershipResolver({ dataSource: db.dataSource, entity: OrderLineRow, relationPath: 'cart.userId' }),
    ).toThrow(/OrderLineRow has no relation 'cart'/);
    expect(
      () => new TypeOrmOwnershipResolver({ dataSource: db.dataSource, entity: OrderLineRow, relationPath: 'userId' }),
    ).toThrow(/must look like 'relation.ownerColumn'/);
  });
}

describe('TypeOrmOwnershipResolver', () => {
  it('needs a repository or a data source and an entity', () => {
    expect(() => new TypeOrmOwnershipResolver({} as never)).toThrow(
      /needs \{ repository \} or \{ dataSource, entity \}/,
    );
  });

  describe('on sql.js (in memory)', () => scenarios(inMemoryDatabase));

  describeWithServices('on PostgreSQL (isolated schema)', ['postgres'], ({ postgres }) =>
    scenarios(() => postgresDatabase(postgres)),
  );
});
