import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import {
  GraphqlExposureCode,
  graphqlOperationHash,
  isIntrospectionDocument,
  isIntrospectionText,
  maskGraphqlError,
  maskGraphqlResponse,
  withoutSuggestions,
} from './schema-exposure.rules';

describe('graphqlOperationHash', () => {
  it('is the SHA-256 hex of the exact text (Apollo APQ)', () => {
    expect(graphqlOperationHash('{ health }')).toBe(createHash('sha256').update('{ health }').digest('hex'));
    expect(graphqlOperationHash('{ health }')).not.toBe(graphqlOperationHash('{ health  }'));
  });
});

describe('withoutSuggestions', () => {
  it('removes "Did you mean …?" wherever graphql-js puts it', () => {
    expect(withoutSuggestions('Cannot query field "helth" on type "Query". Did you mean "health"?')).toBe(
      'Cannot query field "helth" on type "Query".',
    );
    expect(withoutSuggestions('Unknown argument "idd" on field "Query.order". Did you mean "id"?')).toBe(
      'Unknown argument "idd" on field "Query.order".',
    );
    expect(
      withoutSuggestions('Value "ADMN" does not exist in "Role" enum. Did you mean the enum value "ADMIN" or "USER"?'),
    ).toBe('Value "ADMN" does not exist in "Role" enum.');
    expect(withoutSuggestions('Syntax Error: Expected Name, found "}".')).toBe(
      'Syntax Error: Expected Name, found "}".',
    );
  });
});

describe('introspection detection', () => {
  it('finds __schema and __type anywhere, aliased or in fragments, but not __typename', () => {
    expect(isIntrospectionText('{ __schema { types { name } } }')).toBe(true);
    expect(isIntrospectionText('{ t: __type(name: "Order") { name } }')).toBe(true);
    expect(isIntrospectionText('query { ...F } fragment F on Query { __schema { queryType { name } } }')).toBe(true);
    expect(isIntrospectionText('{ order(id: "1") { ... on Order { __type: id } } }')).toBe(false);
    expect(isIntrospectionText('{ __typename health }')).toBe(false);
    expect(isIntrospectionText('{ health }')).toBe(false);
    expect(isIntrospectionDocument(parse('{ a { b { __type(name: "X") { name } } } }'))).toBe(true);
  });

  it('leaves a text that does not parse to the driver', () => {
    expect(isIntrospectionText('{ __schema {')).toBe(false);
  });
});

describe('maskGraphqlError', () => {
  it('keeps a library error, without stack trace, with the request id', () => {
    const { error, internal } = maskGraphqlError(
      {
        message: 'Authentication is required.',
        path: ['me'],
        extensions: { code: 'ERR_UNAUTHENTICATED', status: 401, stacktrace: ['at x (/app/a.ts:1)'] },
      },
      200,
      'req-1',
    );
    expect(internal).toBeUndefined();
    expect(error).toEqual({
      message: 'Authentication is required.',
      path: ['me'],
      extensions: { code: 'ERR_UNAUTHENTICATED', status: 401, requestId: 'req-1' },
    });
  });

  it('keeps a validation message without its suggestion, as ERR_GRAPHQL_VALIDATION', () => {
    const { error } = maskGraphqlError(
      {
        message: 'Cannot query field "helth" on type "Query". Did you mean "health"?',
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
      400,
    );
    expect(error).toEqual({
      message: 'Cannot query field "helth" on type "Query".',
      locations: [{ line: 1, column: 3 }],
      extensions: { code: GraphqlExposureCode.INVALID_DOCUMENT },
    });
  });

  it('keeps Apollo’s persisted-query protocol codes, which clients branch on', () => {
    const { error } = maskGraphqlError(
      { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      200,
    );
    expect(error.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('replaces anything else by the generic message and ERR_INTERNAL, and returns the original to log', () => {
    for (const given of [
      {
        message: 'db password=hunter2',
        path: ['leaky'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', exception: { stacktrace: [] } },
      },
      { message: 'Cannot read properties of undefined', path: ['crash'] },
      { message: 'Context creation failed: secret', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      { message: 'request-level failure', extensions: { code: 'SOME_DRIVER_CODE' } },
    ]) {
      const { error, internal } = maskGraphqlError(given, undefined, 'req-2');
      expect(internal).toBe(given.message);
      expect(error.message).toBe('An unexpected error occurred.');
      expect(error.extensions).toEqual({ code: 'ERR_INTERNAL', requestId: 'req-2' });
    }
    // A document-looking error in a 5xx response is not trusted either.
    expect(maskGraphqlError({ message: 'boom' }, 500).internal).toBe('boom');
  });
});

describe('maskGraphqlResponse', () => {
  it('leaves a response without errors untouched (and unparsed)', () => {
    expect(maskGraphqlResponse('{"data":{"health":"ok"}}', 200, 'r', () => undefined)).toBeUndefined();
    expect(maskGraphqlResponse('not json "errors"', 200, 'r', () => undefined)).toBeUndefined();
  });

  it('masks every error of a single result and of a batch, logging each internal message', () => {
    const logged: string[] = [];
    const single = maskGraphqlResponse(
      JSON.stringify({ data: { a: null }, errors: [{ message: 'secret', path: ['a'] }] }),
      200,
      'r1',
      (m) => logged.push(m),
    );
    expect(JSON.parse(single as string)).toEqual({
      data: { a: null },
      errors: [
        {
          message: 'An unexpected error occurred.',
          path: ['a'],
          extensions: { code: 'ERR_INTERNAL', requestId: 'r1' },
        },
      ],
    });
    const batch = maskGraphqlResponse(
      JSON.stringify([{ data: { ok: 1 } }, { errors: [{ message: 'Did not parse. Did you mean "x"?' }] }]),
      400,
      'r2',
      (m) => logged.push(m),
    );
    expect(JSON.parse(batch as string)).toEqual([
      { data: { ok: 1 } },
      { errors: [{ message: 'Did not parse.', extensions: { code: 'ERR_GRAPHQL_VALIDATION', requestId: 'r2' } }] },
    ]);
    expect(logged).toEqual(['secret']);
  });
});
