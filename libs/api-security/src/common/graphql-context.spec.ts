import type { ExecutionContext } from '@nestjs/common';
import { graphqlRequestOf, requestInGraphqlContext } from './graphql-context';

describe('the HTTP request under a GraphQL context', () => {
  const req = { headers: {} };

  it('is Apollo’s req, Mercurius’s reply.request, or the request a context names so', () => {
    expect(requestInGraphqlContext({ req })).toBe(req);
    expect(requestInGraphqlContext({ reply: { request: req } })).toBe(req);
    expect(requestInGraphqlContext({ request: req })).toBe(req);
  });

  it('is absent from a context without one', () => {
    expect(requestInGraphqlContext({})).toBeUndefined();
    expect(requestInGraphqlContext(undefined)).toBeUndefined();
    expect(requestInGraphqlContext(null)).toBeUndefined();
  });

  it('is read from a resolver’s execution context the same way', () => {
    const context = { getArgByIndex: (i: number) => (i === 2 ? { req } : undefined) } as unknown as ExecutionContext;
    expect(graphqlRequestOf(context)).toBe(req);
  });
});
