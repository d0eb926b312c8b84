import type { INestApplication, Type } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import {
  CALLS,
  createGraphqlApp,
  DRIVERS,
  LeakyResolver,
  MisnamedArgResolver,
  ScopedOrderResolver,
} from './graphql.fixture';
import { describeWithServices } from '../support/services';
import type { GraphqlBody } from '../utils/graphql-body';

async function bootError(
  driver: (typeof DRIVERS)[number],
  resolver: Type,
): Promise<{ message: string; code: unknown }> {
  let app: INestApplication | undefined;
  try {
    app = await createGraphqlApp(driver, { resolvers: [resolver] });
  } catch (error) {
    return { message: (error as Error).message, code: (error as { code?: unknown }).code };
  }
  await app.close();
  throw new Error('the app booted');
}

describe.each(DRIVERS)('GraphQL boot audit and budgets (%s)', (driver) => {
  it('refuses to boot with a resolver taking an id argument and no ownership decision', async () => {
    const { message, code } = await bootError(driver, LeakyResolver);
    expect(code).toBe('ERR_CONFIG_ROUTE_AUDIT');
    expect(message).toMatch(
      /QUERY Query\.leakyOrder: LeakyResolver\.leakyOrder takes argument orderId but has no ownership decision/,
    );
  });

  it('refuses @Owns({ arg }) naming an argument the resolver does not take', async () => {
    const { message, code } = await bootError(driver, MisnamedArgResolver);
    expect(code).toBe('ERR_CONFIG_ROUTE_AUDIT');
    expect(message).toMatch(
      /QUERY Query\.misnamed: MisnamedArgResolver\.misnamed is @Owns\('order'\) on argument orderId/,
    );
  });

  describe('with a running app', () => {
    let app: INestApplication;
    const gql = async (query: string, auth?: string): Promise<request.Response> => {
      const req = request(app.getHttpServer()).post('/graphql').set('Content-Type', 'application/json');
      if (auth) req.set('Authorization', auth);
      return req.send({ query });
    };

    beforeAll(async () => {
      app = await createGraphqlApp(driver, {
        security: { rateLimit: { tiers: { default: '3/60s' }, headers: 'both' } },
        resolvers: [ScopedOrderResolver],
      });
    });
    afterAll(() => app.close());
    beforeEach(() => {
      CALLS.count = 0;
    });

    it('still answers an unknown path with problem details (the Express fallback lets /graphql through only)', async () => {
      const res = await request(app.getHttpServer()).post('/graphql-nope').send({ query: '{ health }' });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('protects a request-scoped resolver like any other', async () => {
      const theirs = (await gql('{ scopedOrder(id: "A1") { secret } }', 'Bearer user-b')).body as GraphqlBody;
      expect(theirs.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.NOT_FOUND]);
      expect(JSON.stringify(theirs)).not.toContain('alpha-secret');
      const mine = (await gql('{ scopedOrder(id: "B1") { secret } }', 'Bearer user-b')).body as GraphqlBody;
      expect(mine).toEqual({ data: { scopedOrder: { secret: 'bravo-secret' } } });
    });

    it('checks ownership of the parent object in a field resolver ({ parent })', async () => {
      const mine = (await gql('{ shipment(orderId: "A1") { id invoice { id } } }', 'Bearer user-a'))
        .body as GraphqlBody;
      expect(mine).toEqual({ data: { shipment: { id: 'S-A1', invoice: { id: 'I-A1' } } } });
      const theirs = (await gql('{ shipment(orderId: "A1") { id invoice { id } } }', 'Bearer user-b'))
        .body as GraphqlBody;
      expect(JSON.stringify(theirs.data)).not.toContain('I-A1');
      expect(theirs.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.NOT_FOUND]);
    });

    it('charges one request per HTTP request, not one per resolver, and refuses the one over the limit', async () => {
      const query = '{ me health a: order(id: "C1") { id } b: order(id: "C1") { id } }';
      for (let i = 1; i <= 3; i++) {
        const res = await gql('{ me health x: me y: me }', 'Bearer admin');
        expect((res.body as GraphqlBody).errors).toBeUndefined();
        expect(res.headers['ratelimit-remaining']).toBe(String(3 - i));
      }
      CALLS.count = 0;
      const refused = await gql(query, 'Bearer admin');
      const body = refused.body as GraphqlBody;
      expect(body.errors?.map((e) => e.extensions?.code)).toContain(ErrorCode.RATE_LIMITED);
      expect(body.data?.me ?? null).toBeNull();
      // Every resolver needing authentication was refused without running; the public one runs.
      expect(CALLS.count).toBeLessThanOrEqual(1);
    });
  });

  describe('30 parallel requests of four resolvers each', () => {
    let app: INestApplication;

    beforeAll(async () => {
      app = await createGraphqlApp(driver, { security: { rateLimit: { tiers: { default: '10/60s' } } } });
    });
    afterAll(() => app.close());

    it('admits exactly the limit: each HTTP request is charged once, whatever its resolvers', async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          request(app.getHttpServer())
            .post('/graphql')
            .set('Authorization', 'Bearer user-b')
            .send({ query: '{ me x: me order(id: "B1") { id } health }' }),
        ),
      );
      const bodies = answers.map((res) => res.body as GraphqlBody);
      const admitted = bodies.filter((body) => body.errors === undefined && body.data?.me === 'me');
      const refused = bodies.filter((body) => body.errors?.some((e) => e.extensions?.code === ErrorCode.RATE_LIMITED));
      expect(admitted).toHaveLength(10);
      expect(refused).toHaveLength(20);
      // A refused request gets nothing protected: no order, no principal-bound field.
      for (const body of refused) {
        expect(body.data?.order ?? null).toBeNull();
        expect(body.data?.me ?? null).toBeNull();
      }
    });
  });
});

describeWithServices('GraphQL rate limit over Redis', ['redis'], ({ redis: url }) => {
  describe('two instances sharing Redis (Apollo on Express, Mercurius on Fastify), 30 parallel requests', () => {
    let apps: INestApplication[];

    beforeAll(async () => {
      const security = {
        rateLimit: { tiers: { default: '10/60s' } },
        store: { type: 'redis' as const, url, keyPrefix: `graphql-e2e-${randomUUID()}:` },
      };
      apps = [await createGraphqlApp('apollo', { security }), await createGraphqlApp('mercurius', { security })];
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it('admits exactly the shared limit, one charge per HTTP request', async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          request(apps[i % 2].getHttpServer())
            .post('/graphql')
            .set('Authorization', 'Bearer user-a')
            .send({ query: '{ me x: me order(id: "A1") { id } }' }),
        ),
      );
      const bodies = answers.map((res) => res.body as GraphqlBody);
      expect(bodies.filter((body) => body.errors === undefined)).toHaveLength(10);
      expect(
        bodies.filter((body) => body.errors?.some((e) => e.extensions?.code === ErrorCode.RATE_LIMITED)),
      ).toHaveLength(20);
    });
  });
});
