import type { GraphqlOperation } from './graphql-client';

/**
 * Which limit a bomb attacks.
 * @public
 */
export type GraphqlBombKind = 'depth' | 'aliases' | 'batch';

/**
 * One denial-of-service document (OWASP API4), ready to POST: `body` is an operation, or an array
 * of operations for the batch bomb.
 * @public
 */
export interface GraphqlBomb {
  /** The limit it attacks. */
  readonly kind: GraphqlBombKind;
  /** What it is, e.g. `selection depth 100`. */
  readonly description: string;
  /** The HTTP request body. */
  readonly body: GraphqlOperation | readonly GraphqlOperation[];
}

/**
 * How to build the bombs for a schema. The defaults work on any schema with introspection's meta
 * fields; give the app's own fields to attack its resolvers (then a refusal also shows that none ran).
 * @public
 */
export interface GraphqlBombOptions {
  /** Nesting depth of the depth bomb. @default 100 */
  readonly depth?: number;
  /** Aliased fields of the alias bomb. @default 1000 */
  readonly aliases?: number;
  /** Operations of the batch bomb. @default 100 */
  readonly operations?: number;
  /**
   * The depth bomb's selection: `open` once (`__schema { types`), then `cycle` repeated until the
   * depth is reached (`fields { type {` … a self-referencing path, e.g. `['next']` for
   * `Order.next: Order`), then `leaf` (`name`).
   * @default { open: ['__schema', 'types'], cycle: ['fields', 'type'], leaf: 'name' }
   */
  readonly nesting?: { readonly open: readonly string[]; readonly cycle: readonly string[]; readonly leaf: string };
  /** The field the alias bomb repeats, with its selection (`me { id }`). @default '__typename' */
  readonly aliasedField?: string;
  /** The document each operation of the batch bomb sends. @default '{ __typename }' */
  readonly batchedQuery?: string;
}

const DEFAULT_NESTING = { open: ['__schema', 'types'], cycle: ['fields', 'type'], leaf: 'name' } as const;

/**
 * The three classic GraphQL bombs: a selection 100 levels deep, 1,000 aliases of one field, and
 * 100 operations in one batched request. A protected server refuses each before running any
 * resolver (see `probeGraphqlBombs`).
 * @public
 */
export function graphqlBombs(options: GraphqlBombOptions = {}): GraphqlBomb[] {
  const depth = options.depth ?? 100;
  const aliases = options.aliases ?? 1000;
  const operations = options.operations ?? 100;
  const nesting = options.nesting ?? DEFAULT_NESTING;
  if (nesting.cycle.length === 0) throw new Error('graphqlBombs: nesting.cycle must name at least one field');

  // `depth` counts selection sets: the leaf's own set is the last one, opened by the last field.
  const fields = [...nesting.open];
  for (let i = 0; fields.length < depth - 1; i++) fields.push(nesting.cycle[i % nesting.cycle.length]);
  const deep = `{ ${fields.join(' { ')} { ${nesting.leaf} }${' }'.repeat(fields.length)}`;

  const field = options.aliasedField ?? '__typename';
  const wide = `{ ${Array.from({ length: aliases }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

  const batchedQuery = options.batchedQuery ?? '{ __typename }';
  return [
    { kind: 'depth', description: `selection depth ${fields.length + 1}`, body: { query: deep } },
    { kind: 'aliases', description: `${aliases} aliases`, body: { query: wide } },
    {
      kind: 'batch',
      description: `${operations} batched operations`,
      body: Array.from({ length: operations }, () => ({ query: batchedQuery })),
    },
  ];
}
