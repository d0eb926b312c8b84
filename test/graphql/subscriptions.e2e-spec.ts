import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import request from 'supertest';
import { ErrorCode, RevocationService, TokenService } from '@api-security/nestjs';
import { TokenForge } from '@api-security/nestjs/testing';
import { DRIVERS, type Driver } from './graphql.fixture';
import {
  createSubscriptionApp,
  EVENTS,
  eventually,
  publish,
  subscribe,
  SUBSCRIBED,
  wsClient,
  type SubscriptionApp,
  type SubscriptionOutcome,
} from './subscriptions.fixture';
import { JWT_AUDIENCE, JWT_ISSUER, serverConfig } from '../fixtures/jwt.fixture';
import { describeWithServices } from '../support/services';

const ORDER_EVENTS = 'subscription($id: ID!) { orderEvents(id: $id) { orderId status } }';
const ALL_ORDER_EVENTS = 'subscription { allOrderEvents { orderId status } }';
/** graphql-ws's close code for a connection its `onConnect` refused. */
const FORBIDDEN = 4403;

/** Refused at `connection_init`: never acknowledged, closed by the server, nothing received. */
function expectRefusedAtInit(outcome: SubscriptionOutcome, driver: Driver): void {
  expect(outcome.acknowledged).toBe(false);
  expect(outcome.connectionFailed).toBe(true);
  expect(outcome.data).toEqual([]);
  // Mercurius answers `connection_error` (a message graphql-ws clients do not know) and closes.
  if (driver === 'apollo') expect(outcome.closeCode).toBe(FORBIDDEN);
}

describe.each(DRIVERS)('GraphQL subscriptions authenticated at connection init (%s)', (driver) => {
  const config = serverConfig('ES256');
  let server: SubscriptionApp;
  const clients: Client[] = [];
  const bearer = async (sub: string, role = 'user'): Promise<string> =>
    `Bearer ${(await server.app.get(TokenService).issueAccessToken({ sub, role })).token}`;
  const client = (params?: Record<string, unknown>, headers?: Record<string, string>): Client => {
    const created = wsClient(server.url, params, headers);
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    server = await createSubscriptionApp(driver, { jwt: config.jwt });
  });
  afterEach(async () => {
    for (const created of clients.splice(0)) await created.dispose();
    // Mercurius's filtered iterator (withFilter) ends on its next matching event, not when its socket closes.
    await eventually(() => {
      if (EVENTS.subscribers > 0) for (const id of ['A1', 'B1']) publish(id, 'flush');
      return EVENTS.subscribers === 0;
    });
  });
  afterAll(() => server.app.close());
  beforeEach(() => {
    SUBSCRIBED.count = 0;
  });

  it('leaves HTTP requests to the app context: queries are authenticated as before', async () => {
    const res = await request(server.app.getHttpServer())
      .post('/graphql')
      .set('Authorization', await bearer('user-a'))
      .send({ query: '{ whoami }' });
    expect(res.body).toEqual({ data: { whoami: 'user-a' } });
  });

  it('refuses a connection without a credential before any resolver runs', async () => {
    const outcome = subscribe(client(), ORDER_EVENTS, { id: 'A1' });
    await outcome.ended;
    expectRefusedAtInit(outcome, driver);
    expect(SUBSCRIBED.count).toBe(0);
  });

  it('refuses a forged token (signed with another key) and a malformed one', async () => {
    const forge = await TokenForge.create({
      algorithm: 'ES256',
      key: serverConfig('ES256').signingKey,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
    const forged = (await forge.bearer({ sub: 'user-a', role: 'admin' })).Authorization;
    for (const authorization of [forged, 'Bearer not-a-token']) {
      const outcome = subscribe(client({ authorization }), ORDER_EVENTS, { id: 'A1' });
      await outcome.ended;
      expectRefusedAtInit(outcome, driver);
    }
    expect(SUBSCRIBED.count).toBe(0);
  });

  it('refuses a revoked token at connection init', async () => {
    const sub = `user-${randomUUID()}`;
    const issued = await server.app.get(TokenService).issueAccessToken({ sub, role: 'user' });
    await server.app.get(RevocationService).revokeToken(sub, issued.jti, issued.expiresAt);
    const outcome = subscribe(client({ authorization: `Bearer ${issued.token}` }), ALL_ORDER_EVENTS);
    await outcome.ended;
    expectRefusedAtInit(outcome, driver);
  });

  it('reads the credential from connection_init only, never from the upgrade request (cross-site hijacking)', async () => {
    const authorization = await bearer('user-a');
    const outcome = subscribe(
      client(undefined, { Authorization: authorization, Cookie: `session=${authorization}` }),
      ORDER_EVENTS,
      {
        id: 'A1',
      },
    );
    await outcome.ended;
    expectRefusedAtInit(outcome, driver);
    expect(SUBSCRIBED.count).toBe(0);
  });

  it("lets A subscribe to A's order and receive its events; B cannot subscribe to it", async () => {
    const theirs = subscribe(client({ authorization: await bearer('user-b') }), ORDER_EVENTS, { id: 'A1' });
    await theirs.ended;
    // B's connection is accepted (B is authenticated); B's subscription to A's order is refused.
    expect(theirs.acknowledged).toBe(true);
    expect(theirs.codes).toEqual([ErrorCode.NOT_FOUND]);
    expect(SUBSCRIBED.count).toBe(0);
    expect(EVENTS.subscribers).toBe(0);

    const mine = subscribe(client({ Authorization: await bearer('user-a') }), ORDER_EVENTS, { id: 'A1' });
    await eventually(() => EVENTS.subscribers === 1);
    publish('B1', 'shipped');
    publish('A1', 'paid');
    await eventually(() => mine.data.length === 1);
    expect(mine.data).toEqual([{ orderEvents: { orderId: 'A1', status: 'paid' } }]);
    expect(mine.codes).toEqual([]);
    expect(SUBSCRIBED.count).toBe(1);
    expect(JSON.stringify(theirs)).not.toContain('paid');
  });

  it('applies roles: a user cannot subscribe to every order, an admin can', async () => {
    const user = subscribe(client({ authorization: await bearer('user-a') }), ALL_ORDER_EVENTS);
    await user.ended;
    expect(user.codes).toEqual([ErrorCode.FORBIDDEN]);
    expect(SUBSCRIBED.count).toBe(0);

    const admin = subscribe(client({ authorization: await bearer('admin', 'admin') }), ALL_ORDER_EVENTS);
    await eventually(() => EVENTS.subscribers === 1);
    publish('B1', 'shipped');
    await eventually(() => admin.data.length === 1);
    expect(admin.data).toEqual([{ allOrderEvents: { orderId: 'B1', status: 'shipped' } }]);
  });

  it('checks the credential again for each new subscription: a token revoked since the connection opened starts nothing', async () => {
    const sub = `user-${randomUUID()}`;
    const issued = await server.app.get(TokenService).issueAccessToken({ sub, role: 'admin' });
    const connection = client({ authorization: `Bearer ${issued.token}` });
    const first = subscribe(connection, ALL_ORDER_EVENTS);
    await eventually(() => EVENTS.subscribers === 1);
    expect(first.acknowledged).toBe(true);

    await server.app.get(RevocationService).revokeToken(sub, issued.jti, issued.expiresAt);
    const second = subscribe(connection, ALL_ORDER_EVENTS);
    await second.ended;
    expect(second.codes).toEqual([ErrorCode.UNAUTHENTICATED]);
    expect(SUBSCRIBED.count).toBe(1);
  });
});

/** A budget of `BUDGET` units a minute: the connection init costs one, each subscription its cost (one here). */
const BUDGET = 10;

/**
 * 30 clients of one user connect and subscribe at once. Every charge is one unit (a connection
 * init, a subscription of cost 1), so exactly the first `BUDGET` charges are admitted, whichever
 * they are: admitted connections plus admitted subscriptions is the budget.
 */
async function thirtyInParallel(servers: readonly SubscriptionApp[], authorization: string): Promise<void> {
  SUBSCRIBED.count = 0;
  const clients = Array.from({ length: 30 }, (_, i) => wsClient(servers[i % servers.length].url, { authorization }));
  try {
    const outcomes = clients.map((client) => subscribe(client, ORDER_EVENTS, { id: 'A1' }));
    const refusedAtInit = (): SubscriptionOutcome[] => outcomes.filter((outcome) => outcome.connectionFailed);
    const refusedAtSubscribe = (): SubscriptionOutcome[] => outcomes.filter((outcome) => outcome.codes.length > 0);
    // Every client settled: refused at init, refused at subscribe, or subscribed.
    await eventually(() => refusedAtInit().length + refusedAtSubscribe().length + SUBSCRIBED.count === 30, 5000);
    const connected = outcomes.filter((outcome) => outcome.acknowledged).length;
    expect(connected + SUBSCRIBED.count).toBe(BUDGET);
    expect(refusedAtInit()).toHaveLength(30 - connected);
    expect(refusedAtSubscribe()).toHaveLength(connected - SUBSCRIBED.count);
    for (const outcome of refusedAtSubscribe()) {
      expect(outcome.codes).toEqual([ErrorCode.RATE_LIMITED]);
      expect(outcome.retryAfter).toEqual([expect.any(Number)]);
    }
  } finally {
    for (const client of clients) await client.dispose();
  }
}

describe.each(DRIVERS)('GraphQL subscriptions under the rate limit (%s, memory store)', (driver) => {
  const config = serverConfig('ES256');
  let server: SubscriptionApp;

  beforeAll(async () => {
    server = await createSubscriptionApp(driver, { jwt: config.jwt, limit: `${BUDGET}/60s` });
  });
  afterAll(() => server.app.close());

  it('charges the connection and each subscription on it: over the budget a subscription is refused with retryAfter', async () => {
    const sub = `user-${randomUUID()}`;
    const issued = await server.app.get(TokenService).issueAccessToken({ sub, role: 'admin' });
    const connection = wsClient(server.url, { authorization: `Bearer ${issued.token}` });
    try {
      SUBSCRIBED.count = 0;
      // One unit for the connection, then one per subscription: BUDGET - 1 subscriptions fit.
      const outcomes: SubscriptionOutcome[] = [];
      for (let i = 0; i < BUDGET; i++) {
        outcomes.push(subscribe(connection, ALL_ORDER_EVENTS));
        await eventually(() => SUBSCRIBED.count === i + 1 || outcomes[i].codes.length > 0);
      }
      expect(SUBSCRIBED.count).toBe(BUDGET - 1);
      expect(outcomes[BUDGET - 1].codes).toEqual([ErrorCode.RATE_LIMITED]);
      expect(outcomes[BUDGET - 1].retryAfter).toEqual([expect.any(Number)]);
    } finally {
      await connection.dispose();
    }
  });

  it('admits exactly the budget of 30 parallel connections and subscriptions of one user', async () => {
    const { token } = await server.app.get(TokenService).issueAccessToken({ sub: 'user-a', role: 'user' });
    await thirtyInParallel([server], `Bearer ${token}`);
  });
});

describeWithServices('GraphQL subscriptions under the rate limit over Redis', ['redis'], ({ redis: url }) => {
  describe('two instances sharing one Redis (Apollo on Express, Mercurius on Fastify)', () => {
    const config = serverConfig('ES256');
    let servers: SubscriptionApp[];

    beforeAll(async () => {
      const store = { type: 'redis' as const, url, keyPrefix: `graphql-subscriptions-e2e-${randomUUID()}:` };
      const limit = `${BUDGET}/60s`;
      servers = [
        await createSubscriptionApp('apollo', { jwt: config.jwt, store, limit }),
        await createSubscriptionApp('mercurius', { jwt: config.jwt, store, limit }),
      ];
    });
    afterAll(async () => {
      for (const server of servers) await server.app.close();
    });

    it('admits exactly the shared budget of 30 parallel connections and subscriptions across both', async () => {
      const { token } = await servers[0].app.get(TokenService).issueAccessToken({ sub: 'user-a', role: 'user' });
      await thirtyInParallel(servers, `Bearer ${token}`);
    });
  });
});
