import {
  buildSchema,
  GraphQLInt,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSchema,
  parse,
  validate,
  specifiedRules,
} from 'graphql';
import { COST_EXTENSION } from './cost.decorator';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { GraphqlLimitCode, graphqlQueryLimits, type GraphqlQueryLimits } from './query-limits';

const schema = buildSchema(`
  type Node { id: ID! child: Node }
  type Query { node(id: ID): Node a: Int b: Int c: Int }
`);

function codes(query: string, limits: GraphqlQueryLimits = {}): unknown[] {
  const errors = validate(schema, parse(query), [...specifiedRules, ...graphqlQueryLimits(limits)]);
  return errors.map((error) => error.extensions.code);
}

/** A selection `levels` fields deep: node, child…, id. */
const nested = (levels: number): string => `{ node { ${'child { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;

describe('graphqlQueryLimits', () => {
  it('accepts a query within every limit', () => {
    expect(codes('{ node(id: "1") { id child { id } } a b }')).toEqual([]);
  });

  it('counts depth, fragments and inline fragments expanded', () => {
    expect(codes(nested(3), { maxDepth: 3 })).toEqual([]);
    expect(codes(nested(4), { maxDepth: 3 })).toEqual([GraphqlLimitCode.DEPTH]);
    expect(codes('{ node { ...F } } fragment F on Node { child { child { id } } }', { maxDepth: 3 })).toEqual([
      GraphqlLimitCode.DEPTH,
    ]);
    expect(codes('{ node { ... on Node { child { child { id } } } } }', { maxDepth: 3 })).toEqual([
      GraphqlLimitCode.DEPTH,
    ]);
  });

  it('refuses depth 100 and does not hang on a fragment cycle (which validation reports itself)', () => {
    expect(codes(nested(100))).toEqual([GraphqlLimitCode.DEPTH]);
    const cyclic = codes(
      '{ node { ...F } } fragment F on Node { child { ...G } } fragment G on Node { child { ...F } }',
    );
    expect(cyclic).not.toContain(GraphqlLimitCode.DEPTH);
    expect(cyclic.length).toBeGreaterThan(0);
  });

  it('counts aliases over the whole document', () => {
    expect(codes('{ x: a y: b }', { maxAliases: 2 })).toEqual([]);
    expect(codes('{ x: a y: b z: c }', { maxAliases: 2 })).toEqual([GraphqlLimitCode.ALIASES]);
    expect(codes('{ x: a ...F } fragment F on Query { y: b z: c }', { maxAliases: 2 })).toEqual([
      GraphqlLimitCode.ALIASES,
    ]);
  });

  it('counts root fields per operation, fragments expanded', () => {
    expect(codes('{ a b }', { maxRootFields: 2 })).toEqual([]);
    expect(codes('{ a ...F } fragment F on Query { b c }', { maxRootFields: 2 })).toEqual([
      GraphqlLimitCode.ROOT_FIELDS,
    ]);
  });

  it('refuses too many tokens or characters, and then walks nothing else', () => {
    expect(codes('{ a b c }', { maxTokens: 4 })).toEqual([GraphqlLimitCode.TOKENS]);
    expect(codes('{ a b c }', { maxTokens: 5 })).toEqual([]);
    expect(codes(`{ a ${' '.repeat(100)} }`, { maxCharacters: 50, maxRootFields: 1 })).toEqual([
      GraphqlLimitCode.CHARACTERS,
    ]);
  });

  it('echoes nothing of the query in its messages', () => {
    const errors = validate(schema, parse('{ secretAlias: a secretOther: b }'), graphqlQueryLimits({ maxAliases: 1 }));
    expect(errors.map((e) => e.message)).toEqual(['The query has more than 1 aliases.']);
  });

  describe('cost (maxCost)', () => {
    // Item { price } costs 5 each (@Cost(5)); items(first|limit) is a list; expensive costs 50.
    const Item: GraphQLObjectType = new GraphQLObjectType({
      name: 'Item',
      fields: () => ({
        price: { type: GraphQLInt, extensions: { [COST_EXTENSION]: 5 } },
        n: { type: GraphQLInt },
        items: { type: new GraphQLList(Item), args: { first: { type: GraphQLInt } } },
      }),
    });
    const costSchema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          items: { type: new GraphQLList(Item), args: { first: { type: GraphQLInt }, limit: { type: GraphQLInt } } },
          expensive: { type: GraphQLInt, extensions: { [COST_EXTENSION]: 50 } },
        },
      }),
    });
    const costCodes = (query: string, limits: GraphqlQueryLimits): unknown[] =>
      validate(costSchema, parse(query), [...specifiedRules, ...graphqlQueryLimits(limits)]).map(
        (e) => e.extensions.code,
      );

    it('multiplies what a list selects by its literal first/limit, and reads @Cost', () => {
      // items(first: 4): 1 + 4 × (5 + 0) = 21
      expect(costCodes('{ items(first: 4) { price n } }', { maxCost: 21 })).toEqual([]);
      expect(costCodes('{ items(first: 4) { price n } }', { maxCost: 20 })).toEqual([GraphqlLimitCode.COST]);
      expect(costCodes('{ items(limit: 2) { price } }', { maxCost: 11 })).toEqual([]);
      expect(costCodes('{ expensive }', { maxCost: 49 })).toEqual([GraphqlLimitCode.COST]);
    });

    it('assumes a size for a list without a literal bound, and nests multipliers', () => {
      // items: 1 + 10 × 5 = 51
      expect(costCodes('{ items { price } }', { maxCost: 50 })).toEqual([GraphqlLimitCode.COST]);
      expect(costCodes('{ items { price } }', { maxCost: 50, assumedListSize: 9 })).toEqual([]);
      // 1 + 10 × (1 + 10 × 5) = 511
      expect(costCodes('query($n: Int) { items(first: $n) { items(first: 10) { price } } }', { maxCost: 510 })).toEqual(
        [GraphqlLimitCode.COST],
      );
    });

    it('prices a fragment spread many times once per spread, without walking it again', () => {
      const spreads = Array.from({ length: 10 }, () => '...F').join(' ');
      // Ten spreads of F (items(first: 2) { price } = 1 + 2 × 5 = 11), merged as one field: priced 10 × 11.
      expect(costCodes(`{ ${spreads} } fragment F on Query { items(first: 2) { price } }`, { maxCost: 110 })).toEqual(
        [],
      );
      expect(costCodes(`{ ${spreads} } fragment F on Query { items(first: 2) { price } }`, { maxCost: 109 })).toEqual([
        GraphqlLimitCode.COST,
      ]);
    });
  });

  it('refuses unknown options and limits that are not positive integers, at boot', () => {
    expect(() => graphqlQueryLimits({ maxDepht: 3 } as GraphqlQueryLimits)).toThrow(ApiSecurityConfigError);
    expect(() => graphqlQueryLimits({ maxDepth: 0 })).toThrow(/maxDepth must be a positive integer/);
    expect(() => graphqlQueryLimits({ maxAliases: 1.5 })).toThrow(/maxAliases must be a positive integer/);
    expect(() => graphqlQueryLimits({ maxTokens: Number.NaN })).toThrow(/maxTokens must be a positive integer/);
  });
});
