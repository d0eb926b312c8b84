import { buildSchema, parse, validate, specifiedRules } from 'graphql';
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

  it('refuses unknown options and limits that are not positive integers, at boot', () => {
    expect(() => graphqlQueryLimits({ maxDepht: 3 } as GraphqlQueryLimits)).toThrow(ApiSecurityConfigError);
    expect(() => graphqlQueryLimits({ maxDepth: 0 })).toThrow(/maxDepth must be a positive integer/);
    expect(() => graphqlQueryLimits({ maxAliases: 1.5 })).toThrow(/maxAliases must be a positive integer/);
    expect(() => graphqlQueryLimits({ maxTokens: Number.NaN })).toThrow(/maxTokens must be a positive integer/);
  });
});
