import type { ModuleRef } from '@nestjs/core';
import { buildSchema, parse } from 'graphql';
import type { ResolvedApiSecurityOptions } from '../api-security.options';
import type { SecurityRequest } from '../common/security-principal';
import { UnauthenticatedException } from '../errors/security.exception';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { GraphqlSubscriptions } from './graphql-subscriptions.service';

const OPTIONS = {
  apiKeys: { header: 'X-Api-Key' },
  rateLimit: { enabled: false, tiers: [], headers: 'ietf', ipv6PrefixLength: 64 },
} as unknown as ResolvedApiSecurityOptions;

/** An authentication step that accepts `Bearer good` (or an API key) and records what it saw. */
function fixture(): { subscriptions: GraphqlSubscriptions; seen: SecurityRequest[] } {
  const seen: SecurityRequest[] = [];
  const authentication: SecurityStep = {
    name: 'authentication',
    appliesTo: () => true,
    run: ({ request }: SecurityStepContext) => {
      seen.push(request);
      const credential = request.headers.authorization ?? request.headers['x-api-key'];
      if (credential !== 'Bearer good' && credential !== 'sk_test_key') throw new UnauthenticatedException('bad');
      request.principal = { id: 'a', roles: [], authMethod: 'test', scopes: [] };
    },
  };
  const moduleRef = { get: () => [authentication] } as unknown as ModuleRef;
  return { subscriptions: new GraphqlSubscriptions(moduleRef, OPTIONS), seen };
}

/** A graphql-ws connection context, as `useServer` from graphql-ws/use/ws builds it. */
function connection(params: unknown, headers: Record<string, string> = {}): Record<string, unknown> {
  return {
    connectionParams: params,
    extra: { request: { headers, url: '/graphql?token=leaked', socket: { remoteAddress: '203.0.113.7' } } },
  };
}

describe('GraphqlSubscriptions', () => {
  it('authenticates a graphql-ws connection with the credential of its connection parameters only', async () => {
    const { subscriptions, seen } = fixture();
    const { onConnect } = subscriptions.graphqlWs().subscriptions['graphql-ws'];
    const connect = (ctx: Record<string, unknown>): unknown => onConnect?.(ctx as never);

    await expect(connect(connection({ Authorization: 'Bearer good' }))).resolves.toBe(true);
    await expect(connect(connection({ headers: { authorization: 'Bearer good' } }))).resolves.toBe(true);
    await expect(connect(connection({ 'x-api-key': 'sk_test_key' }))).resolves.toBe(true);
    await expect(connect(connection({ authorization: 'Bearer forged' }))).resolves.toBe(false);
    await expect(connect(connection(undefined))).resolves.toBe(false);
    // The upgrade request's own credential and cookies do not count.
    await expect(
      connect(connection({}, { authorization: 'Bearer good', cookie: 'session=good', 'x-api-key': 'sk_test_key' })),
    ).resolves.toBe(false);
    const last = seen[seen.length - 1];
    expect(last.headers).toEqual({});
    expect(last.url).toBe('/graphql');
    expect(last.ip).toBe('203.0.113.7');
  });

  it('gives each operation of an authenticated connection a request of its own; HTTP requests the app context', async () => {
    const { subscriptions } = fixture();
    const config = subscriptions.graphqlWs({ context: ({ req }: { req: unknown }) => ({ req, app: true }) });
    const ctx = connection({ authorization: 'Bearer good' }, { 'user-agent': 'test' });
    await config.subscriptions['graphql-ws'].onConnect?.(ctx as never);
    const first = (await config.context(ctx)) as { req: SecurityRequest };
    const second = (await config.context(ctx)) as { req: SecurityRequest };
    expect(first.req).not.toBe(second.req);
    expect(first.req.headers).toEqual({ 'user-agent': 'test', authorization: 'Bearer good' });
    expect(first.req.principal).toBeUndefined();
    const http = { req: { headers: {} } };
    await expect(config.context(http)).resolves.toEqual({ req: http.req, app: true });
    // A graphql-ws context that onConnect never accepted is not a connection: it gets no request.
    await expect(config.context(connection({ authorization: 'Bearer good' }))).resolves.toEqual({
      req: undefined,
      app: true,
    });
  });

  it('authenticates a Mercurius connection from its upgrade request and refuses without one', async () => {
    const { subscriptions } = fixture();
    const { subscription, hooks } = subscriptions.mercurius();
    const upgrade = { headers: { cookie: 'x' }, url: '/graphql', ip: '198.51.100.1' };
    const accepted = await subscription.onConnect.call(
      { context: { request: upgrade } },
      { payload: { authorization: 'Bearer good' } },
    );
    expect(accepted).not.toBe(false);
    await expect(
      subscription.onConnect.call({ context: { request: upgrade } }, { payload: { authorization: 'Bearer bad' } }),
    ).resolves.toBe(false);
    await expect(subscription.onConnect.call(undefined, { payload: { authorization: 'Bearer good' } })).resolves.toBe(
      false,
    );

    // Each subscription's context gets a request of its own, from what the connection authenticated with.
    const [preSubscriptionExecution] = hooks.preSubscriptionExecution;
    const schema = buildSchema('type Query { a: Int } type Subscription { tick: Int }');
    const context = { ...(accepted as object) } as { req?: SecurityRequest };
    await preSubscriptionExecution(schema, parse('subscription { tick }'), context);
    expect(context.req).toEqual({
      headers: { authorization: 'Bearer good' },
      method: 'GET',
      url: '/graphql',
      ip: '198.51.100.1',
    });
    // Mercurius does not validate subscription documents: the hook does, and refuses an invalid one.
    await expect(
      preSubscriptionExecution(schema, parse('subscription { nope }'), { ...(accepted as object) }),
    ).rejects.toThrow(/Cannot query field "nope"/);
    // A context onConnect never accepted: refused.
    await expect(preSubscriptionExecution(schema, parse('subscription { tick }'), {})).rejects.toThrow(
      'Unauthenticated.',
    );
  });

  it('refuses introspection sent over graphql-ws unless everyone may introspect, and keeps the app’s onSubscribe', async () => {
    const seen: string[] = [];
    const config = (allowed: boolean | undefined): ReturnType<GraphqlSubscriptions['graphqlWs']> => {
      const exposure = allowed === undefined ? undefined : { introspectionOverWebSocket: () => allowed };
      const moduleRef = { get: () => exposure } as unknown as ModuleRef;
      return new GraphqlSubscriptions(moduleRef, OPTIONS).graphqlWs({
        graphqlWs: { onSubscribe: (_ctx, id) => void seen.push(id) },
      });
    };
    const subscribe = (allowed: boolean | undefined, query: string): unknown =>
      config(allowed).subscriptions['graphql-ws'].onSubscribe?.({} as never, 'op', { query });
    const refused = (await subscribe(false, '{ __schema { types { name } } }')) as { extensions: unknown }[];
    expect(refused.map((e) => e.extensions)).toEqual([{ code: 'ERR_GRAPHQL_INTROSPECTION' }]);
    expect(await subscribe(undefined, '{ __type(name: "Order") { name } }')).toHaveLength(1);
    expect(await subscribe(true, '{ __schema { types { name } } }')).toBeUndefined();
    expect(await subscribe(false, 'subscription { orderUpdated { id __typename } }')).toBeUndefined();
    expect(seen).toEqual(['op', 'op']);
  });
});
