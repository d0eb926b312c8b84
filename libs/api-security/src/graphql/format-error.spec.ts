import { ForbiddenException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors/codes';
import { UnauthenticatedException } from '../errors/security.exception';
import { formatGraphqlError, graphqlErrorFormatter } from './format-error';

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

  it('masks an error without a library code: generic message, ERR_INTERNAL, no stack trace', () => {
    const formatted = formatGraphqlError(
      {
        message: 'Unexpected error.',
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x (/app/a.ts:1)'] },
      },
      new Error('boom'),
    );
    expect(formatted).toEqual({ message: 'An unexpected error occurred.', extensions: { code: 'ERR_INTERNAL' } });
  });
});

describe('HTTP exceptions no filter mapped', () => {
  const wrap = (original: Error): GraphQLError =>
    new GraphQLError(original.message, { path: ['f'], originalError: original });

  it('become their problem code and public message (Apollo and Mercurius)', () => {
    const forbidden = wrap(new ForbiddenException('user 42 lacks grant orders:write on tenant acme'));
    expect(
      formatGraphqlError({ message: forbidden.message, path: ['f'], extensions: { code: 'FORBIDDEN' } }, forbidden),
    ).toEqual({
      message: 'You are not allowed to perform this action.',
      path: ['f'],
      extensions: { code: ErrorCode.FORBIDDEN, status: 403 },
    });
    const missing = wrap(new NotFoundException('row 7 missing in orders_v2'));
    const { response } = graphqlErrorFormatter({ data: { f: null }, errors: [missing] }, {});
    expect(response.errors?.[0]?.extensions).toEqual({ code: ErrorCode.NOT_FOUND, status: 404 });
    expect(JSON.stringify(response)).not.toContain('orders_v2');
    const unauthenticated = wrap(new UnauthenticatedException('token expired at 12:00'));
    expect(formatGraphqlError({ message: 'x', path: ['f'] }, unauthenticated).extensions).toEqual({
      code: ErrorCode.UNAUTHENTICATED,
      status: 401,
    });
  });

  it('leave a server error to masking', () => {
    const down = wrap(new ServiceUnavailableException('redis at 10.0.0.3 down'));
    const formatted = formatGraphqlError({ message: down.message, path: ['f'] }, down);
    expect(formatted.extensions?.code).toBe(ErrorCode.INTERNAL);
    expect(JSON.stringify(formatted)).not.toContain('10.0.0.3');
  });
});

describe('graphqlErrorFormatter (Mercurius)', () => {
  const reply = { getHeader: (name: string) => (name === 'x-request-id' ? 'req-9' : undefined) };

  it('masks a resolver error and adds the request id; keeps a library refusal', () => {
    const leaky = new GraphQLError('db password=hunter2', {
      path: ['leaky'],
      originalError: new Error('db password=hunter2'),
    });
    const refused = new GraphQLError('Authentication is required.', {
      path: ['me'],
      extensions: { code: 'ERR_UNAUTHENTICATED', status: 401 },
    });
    const { statusCode, response } = graphqlErrorFormatter(
      { data: { leaky: null, me: null }, errors: [leaky, refused] },
      { reply },
    );
    expect(statusCode).toBe(200);
    expect(JSON.stringify(response)).not.toContain('hunter2');
    expect(response.errors).toEqual(
      [
        {
          message: 'An unexpected error occurred.',
          locations: undefined,
          path: ['leaky'],
          extensions: { code: 'ERR_INTERNAL', requestId: 'req-9' },
        },
        {
          message: 'Authentication is required.',
          locations: undefined,
          path: ['me'],
          extensions: { code: 'ERR_UNAUTHENTICATED', status: 401, requestId: 'req-9' },
        },
      ].map((e) => JSON.parse(JSON.stringify(e))),
    );
  });

  it('reports each error of a validation failure, without suggestions, with Mercurius’s status', () => {
    const inner = new GraphQLError('Cannot query field "helth" on type "Query". Did you mean "health"?');
    const wrapper = new GraphQLError('Graphql validation error', {
      originalError: Object.assign(new Error('x'), { errors: [inner] }),
    });
    const { statusCode, response } = graphqlErrorFormatter({ errors: [wrapper], statusCode: 400 }, {});
    expect(statusCode).toBe(400);
    expect(response.errors).toEqual([
      { message: 'Cannot query field "helth" on type "Query".', extensions: { code: 'ERR_GRAPHQL_VALIDATION' } },
    ]);
  });
});
