import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { GraphqlLimitCode } from '@api-security/nestjs/graphql';
import { CALLS, createGraphqlApp, DRIVERS, MAX_BATCH } from './graphql.fixture';
import type { GraphqlBody } from '../utils/graphql-body';

const A = 'Bearer user-a';
const B = 'Bearer user-b';
const ADMIN = 'Bearer admin';

/** No error may carry a stack, a file path or the library's internal reason. */
function expectNoInternals(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/stack|\.ts:|\.js:|node_modules|ownership of|denied on|unknown token|at [A-Z]\w+\./i);
}

describe.each(DRIVERS)('GraphQL resolvers under the security guard (%s)', (driver) => {
  let app: INestApplication;

  async function gql(query: string | object[], auth?: string): Promise<{ status: number; body: GraphqlBody }> {
    const req = request(app.getHttpServer()).post('/graphql').set('Content-Type', 'application/json');
    if (auth) req.set('Authorization', auth);
    const res = await req.send(typeof query === 'string' ? { query } : query);
    if (process.env.GQL_DEBUG) console.log(res.status, res.text);
    expectNoInternals(res.body);
    return { status: res.status, body: res.body as GraphqlBody };
  }

  beforeAll(async () => {
    app = await createGraphqlApp(driver);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    CALLS.count = 0;
  });

  describe('ownership (@Owns with { arg })', () => {
    it('answers A with its own order', async () => {
      const { body } = await gql('{ order(id: "A1") { id secret } }', A);
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ order: { id: 'A1', secret: 'alpha-secret' } });
    });

    it('gives B no data for A’s order: null and a NOT_FOUND error, and the resolver never runs', async () => {
      const { body } = await gql('{ order(id: "A1") { id secret } }', B);
      expect(body.data?.order ?? null).toBeNull();
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.NOT_FOUND]);
      expect(JSON.stringify(body)).not.toContain('alpha-secret');
      expect(CALLS.count).toBe(0);
    });

    it('checks every alias on its own: B’s own order resolves, A’s never does', async () => {
      const { body } = await gql(
        '{ a: order(id: "A1") { secret } b: order(id: "A1") { id } mine: order(id: "B1") { secret } }',
        B,
      );
      expect(body.data?.a ?? null).toBeNull();
      expect(body.data?.b ?? null).toBeNull();
      expect(body.data?.mine).toEqual({ secret: 'bravo-secret' });
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.NOT_FOUND, ErrorCode.NOT_FOUND]);
      expect(JSON.stringify(body)).not.toContain('alpha-secret');
      expect(CALLS.count).toBe(1);
    });

    it('checks every operation of a batch on its own', async () => {
      const { body } = await gql(
        [{ query: '{ order(id: "A1") { secret } }' }, { query: '{ order(id: "B1") { secret } }' }],
        B,
      );
      const answers = body as unknown as GraphqlBody[];
      expect(answers).toHaveLength(2);
      expect(answers[0].data?.order ?? null).toBeNull();
      expect(answers[0].errors?.[0].extensions?.code).toBe(ErrorCode.NOT_FOUND);
      expect(answers[1].data).toEqual({ order: { secret: 'bravo-secret' } });
      expect(JSON.stringify(answers)).not.toContain('alpha-secret');
    });
  });

  describe('authentication and roles', () => {
    it('runs a @Public query for an anonymous client', async () => {
      const { body } = await gql('{ health }');
      expect(body).toEqual({ data: { health: 'ok' } });
    });

    it('refuses a non-public query without credentials (UNAUTHENTICATED), resolver not run', async () => {
      const { body } = await gql('{ me }');
      expect(body.data?.me ?? null).toBeNull();
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.UNAUTHENTICATED]);
      expect(CALLS.count).toBe(0);
    });

    it('refuses a forged token', async () => {
      const { body } = await gql('{ me }', 'Bearer forged');
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.UNAUTHENTICATED]);
      expect(CALLS.count).toBe(0);
    });

    it('refuses a @Roles("admin") mutation to a user (FORBIDDEN) and runs it for an admin', async () => {
      const refused = await gql('mutation { purge }', A);
      expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.FORBIDDEN]);
      expect(CALLS.count).toBe(0);
      const allowed = await gql('mutation { purge }', ADMIN);
      expect(allowed.body).toEqual({ data: { purge: true } });
    });

    it('answers a public field even when the same request’s credential is refused for another', async () => {
      const { body } = await gql('{ health me }', 'Bearer forged');
      expect(body.data?.health).toBe('ok');
      expect(body.data?.me ?? null).toBeNull();
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.UNAUTHENTICATED]);
      expect(CALLS.count).toBe(1);
    });

    it('answers an internal failure with a generic message and ERR_INTERNAL, nothing of the cause', async () => {
      const { body } = await gql('{ broken health }');
      expect(body.data).toEqual({ broken: null, health: 'ok' });
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([ErrorCode.INTERNAL]);
      expect(JSON.stringify(body)).not.toMatch(/hunter2|postgres|repository|\/app\//);
    });

    it('injects the principal with @CurrentPrincipal() in a resolver', async () => {
      expect((await gql('{ whoami }', B)).body).toEqual({ data: { whoami: 'user-b' } });
    });

    it('authenticates once per HTTP request and authorizes every resolver', async () => {
      const { body } = await gql('{ me health order(id: "B1") { id } }', B);
      expect(body).toEqual({ data: { me: 'me', health: 'ok', order: { id: 'B1' } } });
    });
  });

  describe('query limits (graphqlQueryLimits), before any resolver runs', () => {
    function refusedWith(body: GraphqlBody, code: string): void {
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.map((e) => e.extensions?.code)).toContain(code);
      expect(CALLS.count).toBe(0);
    }

    it('refuses depth 100', async () => {
      const deep = `{ order(id: "A1") { ${'next { '.repeat(99)}id${' }'.repeat(99)} } }`;
      refusedWith((await gql(deep, A)).body, GraphqlLimitCode.DEPTH);
    });

    it('refuses depth through fragments', async () => {
      const query = `{ order(id: "A1") { ...F } } fragment F on Order { next { next { next { next { next { next { next { next { id } } } } } } } } }`;
      refusedWith((await gql(query, A)).body, GraphqlLimitCode.DEPTH);
    });

    it('refuses 1,000 aliases', async () => {
      const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: health`).join(' ');
      const { body } = await gql(`{ ${aliases} }`, A);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(CALLS.count).toBe(0);
    });

    it('refuses 16 aliases with ALIASES', async () => {
      const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: health`).join(' ');
      refusedWith((await gql(`{ ${aliases} }`, A)).body, GraphqlLimitCode.ALIASES);
    });

    it('refuses too many root fields', async () => {
      const query = `{ ${Array.from({ length: 21 }, () => 'health').join(' ')} }`;
      refusedWith((await gql(query, A)).body, GraphqlLimitCode.ROOT_FIELDS);
    });

    it('refuses 100 batched operations with BATCH (400), and lets a batch within the limit through', async () => {
      const batch = Array.from({ length: 100 }, () => ({ query: '{ health }' }));
      const { status, body } = await gql(batch, A);
      expect(status).toBe(400);
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual([GraphqlLimitCode.BATCH]);
      expect(CALLS.count).toBe(0);
      const ok = await gql(
        Array.from({ length: MAX_BATCH }, () => ({ query: '{ health }' })),
        A,
      );
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual(Array.from({ length: MAX_BATCH }, () => ({ data: { health: 'ok' } })));
    });

    it('refuses a query over the cost limit (list size from first × @Cost) and runs one within it', async () => {
      refusedWith((await gql('{ orders(first: 1000) { id next { id } } }', A)).body, GraphqlLimitCode.COST);
      const { body } = await gql('{ orders(first: 1) { id } }', ADMIN);
      expect(body).toEqual({ data: { orders: [{ id: 'A1' }] } });
    });

    it('lets a query within every limit through', async () => {
      const { body } = await gql('{ order(id: "A1") { next { id } } }', A);
      expect(body).toEqual({ data: { order: { next: { id: 'A1' } } } });
    });
  });
});
