import { parse } from 'graphql';
import { fakeGraphqlServer } from './fake-graphql-server.spec-fixture';
import { graphqlBombs } from './graphql-bombs';
import { assertGraphqlBombsRefused, probeGraphqlBombs } from './graphql-bombs.prober';
import type { GraphqlOperation } from './graphql-client';

/** The depth of a document's deepest selection. */
function depthOf(query: string): number {
  let depth = 0;
  let max = 0;
  for (const char of query) {
    if (char === '{') max = Math.max(max, ++depth);
    if (char === '}') depth--;
  }
  return max;
}

describe('graphqlBombs', () => {
  it('builds a depth-100 selection, 1,000 aliases and 100 batched operations, all valid syntax', () => {
    const [depth, aliases, batch] = graphqlBombs();
    expect(depth.kind).toBe('depth');
    const deep = (depth.body as GraphqlOperation).query;
    expect(() => parse(deep)).not.toThrow();
    expect(depthOf(deep)).toBe(100);
    expect(deep.startsWith('{ __schema { types { fields { type {')).toBe(true);
    const wide = (aliases.body as GraphqlOperation).query;
    expect(() => parse(wide)).not.toThrow();
    expect(wide.match(/a\d+: __typename/g)).toHaveLength(1000);
    expect(batch.body).toHaveLength(100);
  });

  it('uses the app’s own fields when given', () => {
    const [depth, aliases, batch] = graphqlBombs({
      depth: 10,
      aliases: 3,
      operations: 2,
      nesting: { open: ['order(id: "A1")'], cycle: ['next'], leaf: 'id' },
      aliasedField: 'me { id }',
      batchedQuery: '{ me { id } }',
    });
    const deep = (depth.body as GraphqlOperation).query;
    expect(depthOf(deep)).toBe(10);
    expect(deep).toMatch(/^\{ order\(id: "A1"\) \{ next \{ next/);
    expect((aliases.body as GraphqlOperation).query).toBe('{ a0: me { id } a1: me { id } a2: me { id } }');
    expect(batch.body).toEqual([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]);
  });

  it('refuses an empty nesting cycle', () => {
    expect(() => graphqlBombs({ nesting: { open: ['a'], cycle: [], leaf: 'b' } })).toThrow(/cycle/);
  });
});

describe('probeGraphqlBombs', () => {
  const refusing = fakeGraphqlServer((body) =>
    Array.isArray(body)
      ? { status: 400, body: { errors: [{ message: 'too many', extensions: { code: 'ERR_GRAPHQL_BATCH' } }] } }
      : { status: 400, body: { errors: [{ message: 'too deep', extensions: { code: 'ERR_GRAPHQL_DEPTH' } }] } },
  );

  it('reports nothing when every bomb is refused with a code and no resolver ran', async () => {
    const report = await assertGraphqlBombsRefused(refusing, { resolverCalls: () => 0 });
    expect(report.findings).toEqual([]);
    expect(report.results.map((r) => [r.kind, r.refused, r.codes[0], r.resolverCalls])).toEqual([
      ['depth', true, 'ERR_GRAPHQL_DEPTH', 0],
      ['aliases', true, 'ERR_GRAPHQL_DEPTH', 0],
      ['batch', true, 'ERR_GRAPHQL_BATCH', 0],
    ]);
  });

  it('counts a problem-details refusal before GraphQL (a body limit) as refused, with its code', async () => {
    const limited = fakeGraphqlServer(() => ({ status: 413, body: { status: 413, code: 'ERR_PAYLOAD_TOO_LARGE' } }));
    const report = await probeGraphqlBombs(limited);
    expect(report.findings).toEqual([]);
    expect(report.results.map((r) => r.codes)).toEqual([
      ['ERR_PAYLOAD_TOO_LARGE'],
      ['ERR_PAYLOAD_TOO_LARGE'],
      ['ERR_PAYLOAD_TOO_LARGE'],
    ]);
  });

  it('reports a bomb answered with data, an error without a code, and resolver calls', async () => {
    let calls = 0;
    const executing = fakeGraphqlServer((body) => {
      calls++;
      return Array.isArray(body)
        ? { body: body.map(() => ({ data: { __typename: 'Query' } })) }
        : { body: { data: null, errors: [{ message: 'failed' }] } };
    });
    const report = await probeGraphqlBombs(executing, { resolverCalls: () => calls });
    expect(report.results.map((r) => r.refused)).toEqual([false, false, false]);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^selection depth 100: not refused with an error code \(status 200\)$/),
        expect.stringMatching(/^100 batched operations: not refused .*data returned/),
        '1000 aliases: 1 resolver call(s) ran',
      ]),
    );
    await expect(assertGraphqlBombsRefused(executing)).rejects.toThrow(/GraphQL bombs not refused/);
  });
});
