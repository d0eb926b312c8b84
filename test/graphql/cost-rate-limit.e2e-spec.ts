import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiSecurityConfigError, ErrorCode } from '@api-security/nestjs';
import { GraphqlSecurityModule } from '@api-security/nestjs/graphql';
import { CALLS, createGraphqlApp, DRIVERS, type Driver } from './graphql.fixture';
import { CHEAP, CHEAP_UNITS, COST_PER_UNIT, EXPENSIVE, EXPENSIVE_UNITS, WidgetResolver } from './cost.fixture';
import { describeWithServices } from '../support/services';
import type { GraphqlBody } from '../utils/graphql-body';

/** The budget of every test: 50 units a minute per principal (or address). */
const BUDGET = 50;

async function costApp(driver: Driver, store?: { url: string; keyPrefix: string }): Promise<INestApplication> {
  return createGraphqlApp(driver, {
    security: {
      rateLimit: { tiers: { default: `${BUDGET}/60s` }, headers: 'both' },
      ...(store ? { store: { type: 'redis' as const, url: store.url, keyPrefix: store.keyPrefix } } : {}),
    },
    graphqlSecurity: { costPerUnit: COST_PER_UNIT },
    resolvers: [WidgetResolver],
  });
}

function post(app: INestApplication, body: unknown, token = 'user-a'): Promise<request.Response> {
  return request(app.getHttpServer())
    .post('/graphql')
    .set('Content-Type', 'application/json')
    .set('Authorization', `Bearer ${token}`)
    .send(body as object);
}

const rateLimited = (body: GraphqlBody): boolean =>
  body.errors?.some((error) => error.extensions?.code === ErrorCode.RATE_LIMITED) === true;
const admitted = (body: GraphqlBody): boolean => body.errors === undefined && Array.isArray(body.data?.widgets);

describe('GraphqlSecurityModule costPerUnit', () => {
  it('is checked at boot: a positive integer only', () => {
    expect(() => GraphqlSecurityModule.forRoot({ costPerUnit: 0 })).toThrow(ApiSecurityConfigError);
    expect(() => GraphqlSecurityModule.forRoot({ costPerUnit: 2.5 })).toThrow(/costPerUnit must be a positive integer/);
    expect(() => GraphqlSecurityModule.forRoot({ costPerUnit: 5 })).not.toThrow();
  });
});

describe.each(DRIVERS)('GraphQL rate limit charged by query cost (%s, memory store)', (driver) => {
  let app: INestApplication;

  beforeEach(async () => {
    CALLS.count = 0;
    app = await costApp(driver);
  });
  afterEach(() => app.close());

  it('charges a cheap query one unit and an expensive one ceil(cost / costPerUnit), in the headers too', async () => {
    const cheap = await post(app, { query: CHEAP });
    expect(admitted(cheap.body as GraphqlBody)).toBe(true);
    expect(cheap.headers['ratelimit-remaining']).toBe(String(BUDGET - CHEAP_UNITS));
    expect(cheap.headers['ratelimit']).toBe(`"default";r=${BUDGET - CHEAP_UNITS};t=60`);

    const expensive = await post(app, { query: EXPENSIVE });
    expect(admitted(expensive.body as GraphqlBody)).toBe(true);
    expect(expensive.headers['ratelimit-remaining']).toBe(String(BUDGET - CHEAP_UNITS - EXPENSIVE_UNITS));
  });

  it('drains the budget in proportion to the cost: 10 expensive queries spend what 50 cheap ones do', async () => {
    const expensive: GraphqlBody[] = [];
    for (let i = 0; i < BUDGET / EXPENSIVE_UNITS + 1; i++) expensive.push((await post(app, { query: EXPENSIVE })).body);
    expect(expensive.filter(admitted)).toHaveLength(BUDGET / EXPENSIVE_UNITS);
    expect(rateLimited(expensive[expensive.length - 1])).toBe(true);

    const cheap: GraphqlBody[] = [];
    for (let i = 0; i < BUDGET / CHEAP_UNITS + 1; i++) {
      cheap.push((await post(app, { query: CHEAP }, 'user-b')).body);
    }
    expect(cheap.filter(admitted)).toHaveLength(BUDGET / CHEAP_UNITS);
    expect(rateLimited(cheap[cheap.length - 1])).toBe(true);
  });

  it('refuses over the budget with ERR_RATE_LIMITED and retryAfter, runs no resolver, and says so in the headers', async () => {
    for (let i = 0; i < BUDGET / EXPENSIVE_UNITS; i++) {
      expect(admitted((await post(app, { query: EXPENSIVE })).body as GraphqlBody)).toBe(true);
    }
    CALLS.count = 0;
    // Even the cheapest query: the budget is spent.
    const refused = await post(app, { query: `{ a: widgets(first: 1) { id } b: widgets(first: 1) { id } }` });
    const body = refused.body as GraphqlBody;
    expect(CALLS.count).toBe(0);
    expect(body.data?.a ?? null).toBeNull();
    expect(body.data?.b ?? null).toBeNull();
    // widgets is non-null: the first refusal nulls the whole data, and graphql-js may report it alone.
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(body.errors?.every((error) => error.extensions?.code === ErrorCode.RATE_LIMITED)).toBe(true);
    for (const error of body.errors ?? []) {
      expect(error.extensions?.retryAfter).toEqual(expect.any(Number));
      expect(error.extensions?.retryAfter as number).toBeGreaterThan(0);
      expect(error.extensions?.retryAfter as number).toBeLessThanOrEqual(60);
      expect(JSON.stringify(error)).not.toMatch(/stack|rate limit of/);
    }
    expect(refused.headers['retry-after']).toBe(String(body.errors?.[0].extensions?.retryAfter));
    expect(refused.headers['ratelimit-remaining']).toBe('0');
  });

  it('charges a batch the sum of its operations, in one charge', async () => {
    const batch = [{ query: EXPENSIVE }, { query: CHEAP }, { query: 'query Two { widgets(first: 1) { id } }' }];
    const res = await post(app, batch);
    const bodies = res.body as GraphqlBody[];
    expect(bodies).toHaveLength(3);
    expect(bodies.every(admitted)).toBe(true);
    expect(res.headers['ratelimit-remaining']).toBe(String(BUDGET - EXPENSIVE_UNITS - 2 * CHEAP_UNITS));
  });

  it('refuses a whole batch that costs more than the budget left: none of its operations runs', async () => {
    // 9 expensive queries leave 5 units: a batch of two expensive ones (10) does not fit.
    for (let i = 0; i < BUDGET / EXPENSIVE_UNITS - 1; i++) await post(app, { query: EXPENSIVE });
    CALLS.count = 0;
    const res = await post(app, [{ query: EXPENSIVE }, { query: EXPENSIVE }]);
    const bodies = res.body as GraphqlBody[];
    expect(bodies).toHaveLength(2);
    expect(bodies.every(rateLimited)).toBe(true);
    expect(CALLS.count).toBe(0);
    // Charged per operation instead, the first would have passed: the batch is charged as one.
    expect(JSON.stringify(bodies)).not.toContain('W0');
  });

  it('charges a public query to the address by its cost as well', async () => {
    const res = await request(app.getHttpServer())
      .post('/graphql')
      .send({ query: '{ catalogue(first: 10) { id weight } }' });
    expect((res.body as GraphqlBody).errors).toBeUndefined();
    expect(res.headers['ratelimit-remaining']).toBe(String(BUDGET - EXPENSIVE_UNITS));
  });

  it('never admits more than the budget under 30 parallel expensive requests', async () => {
    const bodies = (await Promise.all(Array.from({ length: 30 }, () => post(app, { query: EXPENSIVE })))).map(
      (res) => res.body as GraphqlBody,
    );
    expect(bodies.filter(admitted)).toHaveLength(BUDGET / EXPENSIVE_UNITS);
    expect(bodies.filter(rateLimited)).toHaveLength(30 - BUDGET / EXPENSIVE_UNITS);
    expect(CALLS.count).toBe(BUDGET / EXPENSIVE_UNITS);
  });

  it('never admits more units than the budget under 30 parallel requests of mixed cost and batches', async () => {
    // Each request: an expensive query, a cheap one, or a batch of both (5, 1 or 6 units).
    const shapes = [{ query: EXPENSIVE }, { query: CHEAP }, [{ query: EXPENSIVE }, { query: CHEAP }]];
    const units = [EXPENSIVE_UNITS, CHEAP_UNITS, EXPENSIVE_UNITS + CHEAP_UNITS];
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(app, shapes[i % 3])));
    let spent = 0;
    let refusals = 0;
    answers.forEach((res, i) => {
      const bodies = (Array.isArray(res.body) ? res.body : [res.body]) as GraphqlBody[];
      if (bodies.every(admitted)) spent += units[i % 3];
      else {
        // A request is admitted or refused whole.
        expect(bodies.every(rateLimited)).toBe(true);
        refusals++;
      }
    });
    expect(spent).toBeLessThanOrEqual(BUDGET);
    // Refusals start only once the budget cannot take the next request (6 units at most).
    expect(spent).toBeGreaterThan(BUDGET - (EXPENSIVE_UNITS + CHEAP_UNITS));
    expect(refusals).toBeGreaterThan(0);
  });
});

describeWithServices('GraphQL rate limit charged by query cost over Redis', ['redis'], ({ redis: url }) => {
  describe('two instances sharing one Redis (Apollo on Express, Mercurius on Fastify)', () => {
    let apps: INestApplication[];

    beforeEach(async () => {
      CALLS.count = 0;
      const store = { url, keyPrefix: `graphql-cost-e2e-${randomUUID()}:` };
      apps = [await costApp('apollo', store), await costApp('mercurius', store)];
    });
    afterEach(async () => {
      for (const app of apps) await app.close();
    });

    it('admits exactly the shared budget under 30 parallel expensive requests across both', async () => {
      const bodies = (
        await Promise.all(Array.from({ length: 30 }, (_, i) => post(apps[i % 2], { query: EXPENSIVE })))
      ).map((res) => res.body as GraphqlBody);
      expect(bodies.filter(admitted)).toHaveLength(BUDGET / EXPENSIVE_UNITS);
      expect(bodies.filter(rateLimited)).toHaveLength(30 - BUDGET / EXPENSIVE_UNITS);
      expect(CALLS.count).toBe(BUDGET / EXPENSIVE_UNITS);
    });

    it('never admits more units than the shared budget under 30 parallel batches and queries across both', async () => {
      const batch = [{ query: EXPENSIVE }, { query: CHEAP }];
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(apps[i % 2], i % 3 === 0 ? batch : { query: CHEAP })),
      );
      let spent = 0;
      answers.forEach((res, i) => {
        const bodies = (Array.isArray(res.body) ? res.body : [res.body]) as GraphqlBody[];
        if (bodies.every(admitted)) spent += i % 3 === 0 ? EXPENSIVE_UNITS + CHEAP_UNITS : CHEAP_UNITS;
        else expect(bodies.every(rateLimited)).toBe(true);
      });
      // 10 batches (60 units) and 20 cheap queries (20) offered; 50 at most admitted.
      expect(spent).toBeLessThanOrEqual(BUDGET);
      expect(spent).toBeGreaterThan(BUDGET - (EXPENSIVE_UNITS + CHEAP_UNITS));
    });

    it('sees the units one instance charged from the other', async () => {
      await post(apps[0], { query: EXPENSIVE });
      const res = await post(apps[1], { query: CHEAP });
      expect(res.headers['ratelimit-remaining']).toBe(String(BUDGET - EXPENSIVE_UNITS - CHEAP_UNITS));
    });
  });
});
