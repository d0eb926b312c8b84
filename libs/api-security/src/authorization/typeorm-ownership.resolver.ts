import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import type { SecurityPrincipal } from '../common/security-principal';
import type { OwnershipResolver } from './ownership-resolver';

/** Where the rows live: a repository, or a data source and the entity. */
export type TypeOrmOwnershipSource<T extends ObjectLiteral> =
  | { repository: Repository<T>; dataSource?: never; entity?: never }
  | { dataSource: DataSource; entity: EntityTarget<T>; repository?: never };

/** How ownership is read from the entity's table. */
export interface TypeOrmOwnershipColumns {
  /**
   * Property matched against the route id. Index it (a primary key is).
   * @default 'id'
   */
  idColumn?: string;
  /**
   * Property holding the owner's principal id. Index it together with `idColumn` or alone.
   * Ignored when `relationPath` is set.
   * @default 'userId'
   */
  ownerColumn?: string;
  /**
   * Ownership held by a related row: relation names then the owner property, dot-separated, e.g.
   * `'order.userId'` for an order line owned through its order. Answered with inner joins in the
   * same single query.
   * @default undefined (the owner column is on the entity itself)
   */
  relationPath?: string;
}

/** Where a `TypeOrmOwnershipResolver` looks: the entity and its id and owner columns. */
export type TypeOrmOwnershipResolverOptions<T extends ObjectLiteral> = TypeOrmOwnershipSource<T> &
  TypeOrmOwnershipColumns;

type ColumnMetadata = NonNullable<ReturnType<EntityMetadata['findColumnWithPropertyPath']>>;

interface CompiledQuery {
  readonly idProperty: string;
  readonly idKind: 'integer' | 'uuid' | 'text';
  readonly joins: readonly (readonly [property: string, alias: string])[];
  readonly ownerProperty: string;
}

const INTEGER_TYPES = new Set(['int', 'int2', 'int4', 'int8', 'integer', 'smallint', 'bigint', 'tinyint', 'mediumint']);
/** The canonical spelling only: `007`, `+7`, `7.0` or ` 7` would be cast by the database to row 7. */
const CANONICAL_INTEGER = /^(?:0|[1-9]\d{0,15})$/;
/** Lower-case canonical form: PostgreSQL would also accept upper case, braces or no hyphens for the same row. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALIAS = 'owned';

function idKind(column: ColumnMetadata): CompiledQuery['idKind'] {
  if (column.type === Number || INTEGER_TYPES.has(String(column.type))) return 'integer';
  if (column.type === 'uuid') return 'uuid';
  return 'text';
}

/**
 * An {@link OwnershipResolver} over a TypeORM entity: one indexed query per check,
 * `SELECT 1 FROM <table> WHERE <id> = :id AND <owner> = :principalId LIMIT 1` (with inner joins for
 * a `relationPath`), with bound parameters only.
 *
 * The id is compared as given. Ids that the column's type would coerce (`007` on an integer key,
 * upper-case UUIDs on a PostgreSQL `uuid` key) are refused without a query, so no alternative
 * spelling reaches a row and a malformed id does not raise a database error. Column and relation
 * names are checked against the entity metadata: when the data source is already initialised at
 * construction (the usual case in a Nest factory), a misconfiguration fails the boot.
 *
 * @example
 * ```ts
 * provideOwnershipResolver('order', {
 *   useFactory: (dataSource: DataSource) => new TypeOrmOwnershipResolver({ dataSource, entity: OrderEntity }),
 *   inject: [DataSource],
 * })
 * ```
 */
export class TypeOrmOwnershipResolver<T extends ObjectLiteral = ObjectLiteral> implements OwnershipResolver {
  private readonly source: () => Repository<T>;
  private readonly columns: Required<Omit<TypeOrmOwnershipColumns, 'relationPath'>> & { relationPath?: string };
  private compiled: CompiledQuery | undefined;

  constructor(options: TypeOrmOwnershipResolverOptions<T>) {
    const { repository, dataSource, entity } = options;
    if (repository) this.source = () => repository;
    else if (dataSource && entity) this.source = () => dataSource.getRepository(entity);
    else throw new TypeError('TypeOrmOwnershipResolver needs { repository } or { dataSource, entity }.');
    this.columns = {
      idColumn: options.idColumn ?? 'id',
      ownerColumn: options.ownerColumn ?? 'userId',
      ...(options.relationPath !== undefined ? { relationPath: options.relationPath } : {}),
    };
    const initialized = repository ? repository.manager.dataSource.isInitialized : dataSource?.isInitialized;
    if (initialized) this.query();
  }

  async owns(principal: SecurityPrincipal, id: string): Promise<boolean> {
    const query = this.query();
    if (typeof id !== 'string' || id.length === 0) return false;
    if (typeof principal?.id !== 'string' || principal.id.length === 0) return false;
    if (query.idKind === 'integer' && !CANONICAL_INTEGER.test(id)) return false;
    if (query.idKind === 'uuid' && !CANONICAL_UUID.test(id)) return false;
    const builder = this.source().createQueryBuilder(ALIAS).select('1', 'found');
    for (const [property, alias] of query.joins) builder.innerJoin(property, alias);
    const row: unknown = await builder
      .where(`${ALIAS}.${query.idProperty} = :ownershipId`, { ownershipId: id })
      .andWhere(`${query.ownerProperty} = :ownershipOwner`, { ownershipOwner: principal.id })
      .limit(1)
      .getRawOne();
    return row !== undefined && row !== null;
  }

  /** Validates the configured names against the metadata once, then reuses the result. */
  private query(): CompiledQuery {
    if (this.compiled) return this.compiled;
    const metadata = this.source().metadata;
    const { idColumn, ownerColumn, relationPath } = this.columns;
    const id = this.column(metadata, idColumn, 'idColumn');
    const joins: [string, string][] = [];
    let ownerProperty: string;
    if (relationPath === undefined) {
      ownerProperty = `${ALIAS}.${this.column(metadata, ownerColumn, 'ownerColumn').propertyPath}`;
    } else {
      const segments = relationPath.split('.');
      const owner = segments.pop();
      if (segments.length === 0 || owner === undefined || segments.some((s) => s === '')) {
        throw new Error(
          `TypeOrmOwnershipResolver relationPath '${relationPath}' must look like 'relation.ownerColumn'.`,
        );
      }
      let current = metadata;
      let alias = ALIAS;
      segments.forEach((name, index) => {
        const relation = current.findRelationWithPropertyPath(name);
        if (!relation) throw new Error(`TypeOrmOwnershipResolver: ${current.name} has no relation '${name}'.`);
        const next = `owner${index}`;
        joins.push([`${alias}.${relation.propertyPath}`, next]);
        current = relation.inverseEntityMetadata;
        alias = next;
      });
      ownerProperty = `${alias}.${this.column(current, owner, 'relationPath').propertyPath}`;
    }
    this.compiled = { idProperty: id.propertyPath, idKind: idKind(id), joins, ownerProperty };
    return this.compiled;
  }

  private column(metadata: EntityMetadata, property: string, option: string): ColumnMetadata {
    const column = metadata.findColumnWithPropertyPath(property);
    if (!column) throw new Error(`TypeOrmOwnershipResolver ${option}: ${metadata.name} has no column '${property}'.`);
    return column;
  }
}
