import { randomBytes } from 'node:crypto';
import {
  Column,
  DataSource,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  type DataSourceOptions,
  type Logger,
} from 'typeorm';

/**
 * Tiny tables of the library's own for the ownership specs (test-only): users, their orders, and
 * order lines owned through their order.
 */
@Entity({ name: 'authz_users' })
export class UserRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;
}

@Entity({ name: 'authz_orders' })
export class OrderRow {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  userId!: string;

  @ManyToOne(() => UserRow, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'userId' })
  user?: UserRow;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: string;
}

@Entity({ name: 'authz_order_lines' })
export class OrderLineRow {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  orderId!: string;

  @ManyToOne(() => OrderRow, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'orderId' })
  order?: OrderRow;

  @Column({ type: 'varchar', length: 32 })
  sku!: string;
}

/** A row keyed by a UUID (a native `uuid` column on PostgreSQL) with its own owner column name. */
@Entity({ name: 'authz_documents' })
export class DocumentRow {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  ownerId!: string;
}

/** Alice's document. */
export const ALICE_DOCUMENT = '3f2b8c1e-6a4d-4e8f-9b7a-0c1d2e3f4a5b';

/** Records every statement so that a spec can count round trips. */
export class RecordingLogger implements Logger {
  readonly queries: string[] = [];
  logQuery(query: string): void {
    if (!/^(BEGIN|COMMIT|ROLLBACK|START TRANSACTION|SELECT version\(\)|SHOW )/i.test(query)) this.queries.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface OwnershipDatabase {
  readonly label: string;
  readonly dataSource: DataSource;
  readonly logger: RecordingLogger;
  dispose(): Promise<void>;
}

const entities = [UserRow, OrderRow, OrderLineRow, DocumentRow];

async function open(
  label: string,
  options: DataSourceOptions,
  cleanUp: () => Promise<void>,
): Promise<OwnershipDatabase> {
  const logger = new RecordingLogger();
  const dataSource = await new DataSource({ ...options, entities, logging: ['query'], logger } as DataSourceOptions)
    .initialize()
    .catch(async (error: unknown) => {
      await cleanUp();
      throw error;
    });
  return {
    label,
    dataSource,
    logger,
    async dispose() {
      await dataSource.destroy();
      await cleanUp();
    },
  };
}

/** sql.js in memory. `synchronize` is fine here: these tables exist only for the spec. */
export function inMemoryDatabase(): Promise<OwnershipDatabase> {
  return open('sql.js', { type: 'sqljs', synchronize: true }, async () => {});
}

/** A fresh schema in the PostgreSQL database at `url`, dropped by `dispose()`. */
export async function postgresDatabase(url: string): Promise<OwnershipDatabase> {
  const schema = `authz_${process.pid}_${randomBytes(6).toString('hex')}`;
  const admin = await new DataSource({ type: 'postgres', url }).initialize();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const drop = async (): Promise<void> => {
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.destroy();
    }
  };
  return open('PostgreSQL', { type: 'postgres', url, schema, synchronize: true }, drop);
}

/** Alice owns o-a1 and o-a2 (with a line) and a document, Bob owns o-b1 (with a line). */
export async function seed(dataSource: DataSource): Promise<{ aliceLine: number; bobLine: number }> {
  await dataSource.getRepository(UserRow).insert([
    { id: 'alice', name: 'Alice' },
    { id: 'bob', name: 'Bob' },
    { id: 'ALICE', name: 'Not Alice' },
  ]);
  await dataSource.getRepository(OrderRow).insert([
    { id: 'o-a1', userId: 'alice', status: 'paid' },
    { id: 'o-a2', userId: 'alice', status: 'pending' },
    { id: 'o-b1', userId: 'bob', status: 'paid' },
  ]);
  await dataSource.getRepository(DocumentRow).insert([{ id: ALICE_DOCUMENT, ownerId: 'alice' }]);
  const lines = dataSource.getRepository(OrderLineRow);
  const aliceLine = (await lines.save(lines.create({ orderId: 'o-a1', sku: 'A' }))).id;
  const bobLine = (await lines.save(lines.create({ orderId: 'o-b1', sku: 'B' }))).id;
  return { aliceLine, bobLine };
}
