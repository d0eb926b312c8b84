import { fakeGraphqlServer } from './fake-graphql-server.spec-fixture';
import { checkGraphqlExposure } from './graphql-exposure.checker';
import type { GraphqlOperation } from './graphql-client';

/** A hardened endpoint: introspection refused, no suggestions, terse errors. */
const hardened = fakeGraphqlServer(() => ({
  status: 400,
  body: { errors: [{ message: 'Invalid query.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
}));

/** An endpoint with graphql-js's defaults and a verbose error formatter. */
const open = fakeGraphqlServer((body) => {
  const { query } = body as GraphqlOperation;
  if (query.includes('__schema')) return { body: { data: { __schema: { queryType: { name: 'Query' }, types: [] } } } };
  if (query.includes('__type(name: "Query")')) return { body: { data: { __type: { name: 'Query', fields: [] } } } };
  if (query.includes('Quer '))
    return { status: 400, body: { errors: [{ message: 'Unknown type "Quer". Did you mean "Query"?' }] } };
  if (query.includes('broken'))
    return {
      body: {
        data: { broken: null },
        errors: [
          {
            message: 'connect ECONNREFUSED postgres://db.internal',
            extensions: {
              code: 'INTERNAL_SERVER_ERROR',
              stacktrace: ['Error: x', '    at Pool.connect (/app/src/db.ts:42:7)'],
            },
          },
        ],
      },
    };
  return { status: 400, body: { errors: [{ message: 'Syntax Error' }] } };
});

describe('checkGraphqlExposure', () => {
  it('reports nothing for a hardened endpoint', async () => {
    const report = await checkGraphqlExposure(hardened, {
      errorQueries: ['{ broken }'],
      suggestionQueries: ['{ ordr }'],
    });
    expect(report.findings).toEqual([]);
    expect(report.probed).toEqual(
      expect.arrayContaining(['__schema', '__type', 'suggestion: { ordr }', 'error: { broken }', 'error: {']),
    );
  });

  it('reports introspection, suggestions, stack traces and internal messages', async () => {
    const report = await checkGraphqlExposure(open, { errorQueries: ['{ broken }'] });
    const kinds = report.findings.map((f) => `${f.kind} ${f.probe}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'introspection __schema',
        'introspection __type',
        'suggestion suggestion: { __typename ... on Quer { __typename } }',
        'stack-trace error: { broken }',
        'internal-message error: { broken }',
      ]),
    );
    expect(report.findings.filter((f) => f.probe === 'error: {')).toEqual([]);
  });

  it('checks a non-GraphQL error body whole', async () => {
    const html = fakeGraphqlServer(() => ({
      status: 500,
      body: 'Error: boom\n    at handler (/srv/app/index.js:1:1)',
    }));
    const report = await checkGraphqlExposure(html);
    expect(report.findings.some((f) => f.kind === 'stack-trace')).toBe(true);
  });
});
