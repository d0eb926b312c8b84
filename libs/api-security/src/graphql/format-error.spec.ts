import { GraphQLError } from 'graphql';
import { formatGraphqlError } from './format-error';

describe('formatGraphqlError', () => {
  it('restores the library code a driver replaced, from the original error', () => {
    const original = new GraphQLError('The query is deeper than 8 levels.', {
      extensions: { code: 'ERR_GRAPHQL_DEPTH' },
    });
    const wrapped = new GraphQLError(original.message, {
      originalError: original,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(
      formatGraphqlError({ message: wrapped.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, wrapped),
    ).toEqual({ message: wrapped.message, extensions: { code: 'ERR_GRAPHQL_DEPTH' } });
  });

  it('drops a stack trace and keeps a driver code when no library code is found', () => {
    const formatted = formatGraphqlError(
      {
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x (/app/a.ts:1)'] },
      },
      new Error('boom'),
    );
    expect(formatted).toEqual({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
