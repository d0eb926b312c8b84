import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { GraphqlFieldCode, GraphqlLimitCode } from '@api-security/nestjs/graphql';
import {
  assertGraphqlBombsRefused,
  checkGraphqlExposure,
  probeGraphqlBola,
} from '@api-security/nestjs/testing/graphql';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { sampleAccounts, type Account } from './sample-accounts';
import type { GraphqlBody } from '../utils/graphql-body';

const ADMIN = { email: 'root-graphql@example.com', password: 'admin password for tests' };
const ENDPOINT = '/api/graphql';

const codes = (body: GraphqlBody): unknown[] => (body.errors ?? []).map((e) => e.extensions?.code);

/** `POST /api/graphql` under the REST routes' rules: users A and B, a manager and an admin. */
describe(`sample-api GraphQL endpoint (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let admin: Account;
  let a: Account;
  let b: Account;
  let manager: Account;
  let orderOfA: string;
  let orderOfB: string;
  /** What B received, everywhere: the last test scans it for A's data. */
  const seenByB: string[] = [];
  const http = () => request(sample.app.getHttpServer());

  async function gql(
    account: Account | string | undefined,
    query: string | object[],
  ): Promise<{ status: number; body: GraphqlBody; text: string }> {
    const req = http().post(ENDPOINT).set('Content-Type', 'application/json');
    const token = typeof account === 'string' ? account : account?.token;
    if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
    const res = await req.send(typeof query === 'string' ? { query } : query);
    if (account === b) seenByB.push(res.text);
    // No response of this endpoint carries a stack trace or a file path.
    expect(res.text).not.toMatch(/"stacktrace"|\.ts:\d|node_modules/);
    return { status: res.status, body: res.body as GraphqlBody, text: res.text };
  }

  const { login, account } = sampleAccounts(() => sample);

  async function order(owner: Account, sku: string): Promise<string> {
    const res = await http()
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${owner.token}`)
      .send({ items: [{ sku, quantity: 1 }] });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  beforeAll(async () => {
    sample = await startSampleApp({ SEED_ADMIN_EMAIL: ADMIN.email, SEED_ADMIN_PASSWORD: ADMIN.password });
    const adminToken = await login(ADMIN.email, ADMIN.password);
    const me = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${adminToken}`);
    admin = { id: me.body.id, email: ADMIN.email, token: adminToken };
    a = await account('alice');
    b = await account('bob');
    manager = await account('manny');
    const promote = await http()
      .patch(`/api/v1/users/${manager.id}`)
      .set('Authorization', `Bearer ${admin.token}`)
      .send({ role: 'manager' });
    expect(promote.status).toBe(200);
    const notes = await http()
      .patch(`/api/v1/users/${a.id}`)
      .set('Authorization', `Bearer ${admin.token}`)
      .send({ internalNotes: 'vip-note-of-alice' });
    expect(notes.status).toBe(200);
    manager = { ...manager, token: await login(manager.email) };
    orderOfA = await order(a, 'ALICE-SKU-1');
    orderOfB = await order(b, 'BOB-SKU-1');
  });
  afterAll(() => sample.close());

  describe('ownership', () => {
    it('A reads its own order by id', async () => {
      const { status, body } = await gql(a, `{ order(id: "${orderOfA}") { id status items { sku quantity } } }`);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data?.order).toMatchObject({ id: orderOfA, items: [{ sku: 'ALICE-SKU-1', quantity: 1 }] });
    });

    it("B asking for A's order gets null and ERR_NOT_FOUND, exactly as for a missing id", async () => {
      const foreign = await gql(b, `{ order(id: "${orderOfA}") { id items { sku } } }`);
      const missing = await gql(b, `{ order(id: "${randomUUID()}") { id items { sku } } }`);
      expect(foreign.body.data?.order ?? null).toBeNull();
      expect(codes(foreign.body)).toEqual([ErrorCode.NOT_FOUND]);
      const shape = (body: GraphqlBody) => ({ data: body.data, errors: body.errors?.map((e) => e.message) });
      expect(shape(foreign.body)).toEqual(shape(missing.body));
    });

    it('B gets nothing of A through user(id:) { orders }', async () => {
      const { body } = await gql(b, `{ user(id: "${a.id}") { id email orders { id items { sku } } } }`);
      expect(body.data?.user ?? null).toBeNull();
      expect(codes(body)).toEqual([ErrorCode.NOT_FOUND]);
    });

    it('checks each alias on its own: B’s own order resolves, A’s is null', async () => {
      const { body } = await gql(
        b,
        `{ a: order(id: "${orderOfA}") { id items { sku } } b: order(id: "${orderOfB}") { id items { sku } } }`,
      );
      expect(body.data?.a ?? null).toBeNull();
      expect(body.data?.b).toEqual({ id: orderOfB, items: [{ sku: 'BOB-SKU-1' }] });
      expect(codes(body)).toEqual([ErrorCode.NOT_FOUND]);
    });

    it('checks each operation of a batch on its own', async () => {
      const { status, text } = await gql(b, [
        { query: `{ order(id: "${orderOfA}") { id items { sku } } }` },
        { query: `{ order(id: "${orderOfB}") { id items { sku } } }` },
        { query: `{ user(id: "${a.id}") { email orders { id } } }` },
      ]);
      expect(status).toBe(200);
      const answers = JSON.parse(text) as GraphqlBody[];
      expect(answers).toHaveLength(3);
      expect(answers[0].data?.order ?? null).toBeNull();
      expect(codes(answers[0])).toEqual([ErrorCode.NOT_FOUND]);
      expect(answers[1].data?.order).toEqual({ id: orderOfB, items: [{ sku: 'BOB-SKU-1' }] });
      expect(answers[2].data?.user ?? null).toBeNull();
    });

    it('me { orders } lists the caller’s own orders only', async () => {
      const { body } = await gql(b, '{ me { id email orders { id } } myOrders { id } }');
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({
        me: { id: b.id, email: b.email, orders: [{ id: orderOfB }] },
        myOrders: [{ id: orderOfB }],
      });
    });

    it('takes ownership of user.orders from the parent: a manager listing users sees no one’s orders', async () => {
      const { body } = await gql(manager, '{ users(limit: 100) { id email orders { id } } }');
      const users = body.data?.users as { id: string; email: string | null; orders: unknown }[];
      const alice = users.find((user) => user.id === a.id);
      expect(alice).toEqual({ id: a.id, email: a.email, orders: null });
      expect(users.every((user) => user.id === manager.id || user.orders === null)).toBe(true);
      expect(codes(body).length).toBeGreaterThan(0);
      expect(codes(body).every((code) => code === GraphqlFieldCode.FORBIDDEN || code === ErrorCode.NOT_FOUND)).toBe(
        true,
      );
    });

    it('lets an admin read A’s user and orders (the REST bypass)', async () => {
      const { body } = await gql(admin, `{ user(id: "${a.id}") { id orders { id } } order(id: "${orderOfA}") { id } }`);
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ user: { id: a.id, orders: [{ id: orderOfA }] }, order: { id: orderOfA } });
    });
  });

  describe('admin-only fields and queries', () => {
    it('gives the owner isActive and internalNotes as null with ERR_FIELD_FORBIDDEN', async () => {
      const { body } = await gql(a, '{ me { id isActive internalNotes } }');
      expect(body.data?.me).toEqual({ id: a.id, isActive: null, internalNotes: null });
      expect(codes(body)).toEqual([GraphqlFieldCode.FORBIDDEN, GraphqlFieldCode.FORBIDDEN]);
    });

    it('gives an admin isActive and internalNotes', async () => {
      const { body } = await gql(admin, `{ user(id: "${a.id}") { id isActive internalNotes } }`);
      expect(body.errors).toBeUndefined();
      expect(body.data?.user).toEqual({ id: a.id, isActive: true, internalNotes: 'vip-note-of-alice' });
    });

    it('refuses adminReport to a user and a manager, answers it to an admin', async () => {
      for (const caller of [a, manager]) {
        const { body } = await gql(caller, '{ adminReport { users orders } }');
        expect(body.data?.adminReport ?? null).toBeNull();
        expect(codes(body)).toEqual([ErrorCode.FORBIDDEN]);
      }
      const { body } = await gql(admin, '{ adminReport { users orders } }');
      expect(body.errors).toBeUndefined();
      expect(body.data?.adminReport).toMatchObject({ users: expect.any(Number), orders: expect.any(Number) });
    });

    it('refuses the user list to a plain user (managers only)', async () => {
      const { body } = await gql(a, '{ users { id } }');
      expect(body.data ?? null).toBeNull();
      expect(codes(body)).toEqual([ErrorCode.FORBIDDEN]);
    });
  });

  describe('authentication', () => {
    it('refuses an anonymous caller', async () => {
      const { body } = await gql(undefined, `{ me { id } order(id: "${orderOfA}") { id } }`);
      expect(body.data?.me ?? null).toBeNull();
      expect(body.data?.order ?? null).toBeNull();
      expect(new Set(codes(body))).toEqual(new Set([ErrorCode.UNAUTHENTICATED]));
    });

    it('refuses a forged token (A’s token with an admin claim and the original signature)', async () => {
      const [header, payload, signature] = a.token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = [
        header,
        Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url'),
        signature,
      ];
      const { body } = await gql(forged.join('.'), '{ me { id } adminReport { users } }');
      expect(body.data?.me ?? null).toBeNull();
      expect(body.data?.adminReport ?? null).toBeNull();
      expect(new Set(codes(body))).toEqual(new Set([ErrorCode.UNAUTHENTICATED]));
    });
  });

  describe('query limits', () => {
    it('refuses a depth bomb at validation', async () => {
      const query = `{ ${'me { orders { '.repeat(50)}id${' } }'.repeat(50)} }`;
      const { status, body } = await gql(b, query);
      expect(status).toBe(400);
      expect(body.data ?? undefined).toBeUndefined();
      expect(codes(body)).toContain(GraphqlLimitCode.DEPTH);
    });

    it('refuses an alias bomb at validation', async () => {
      const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: me { id }`).join(' ');
      const { status, body } = await gql(b, `{ ${aliases} }`);
      expect(status).toBe(400);
      expect(body.data ?? undefined).toBeUndefined();
      expect(codes(body).some((code) => typeof code === 'string' && code.startsWith('ERR_GRAPHQL_'))).toBe(true);
    });

    it('refuses 16 aliases (over maxAliases) even under the size limits', async () => {
      const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ');
      const { status, body } = await gql(b, `{ ${aliases} }`);
      expect(status).toBe(400);
      expect(codes(body)).toContain(GraphqlLimitCode.ALIASES);
    });

    it('refuses a batch of 100 operations with 400 ERR_GRAPHQL_BATCH before any runs', async () => {
      const { status, text } = await gql(
        b,
        Array.from({ length: 100 }, () => ({ query: `{ order(id: "${orderOfA}") { id } }` })),
      );
      expect(status).toBe(400);
      expect(text).toContain(GraphqlLimitCode.BATCH);
    });
  });

  describe('through the GraphQL test kit', () => {
    const auth = (account: Account) => ({ Authorization: `Bearer ${account.token}` });

    it('probeGraphqlBola: B gets none of A’s data by argument, nested path, alias or batch', async () => {
      const report = await probeGraphqlBola(sample.app, {
        path: ENDPOINT,
        owner: auth(a),
        other: auth(b),
        queries: [
          {
            name: 'order(id:)',
            query: 'query ($id: ID!) { order(id: $id) { id status items { sku quantity } } }',
            variables: { id: orderOfA },
          },
          {
            name: 'user(id:) { orders }',
            query: `{ user(id: "${a.id}") { id email name orders { id items { sku } } } }`,
          },
        ],
        secrets: [a.email, 'vip-note-of-alice'],
      });
      expect(report.findings).toEqual([]);
      expect(report.skipped).toEqual([]);
      expect(report.probed).toHaveLength(6);
    });

    it('assertGraphqlBombsRefused: depth, alias and batch bombs are refused with a code', async () => {
      const report = await assertGraphqlBombsRefused(sample.app, { path: ENDPOINT, headers: auth(b) });
      expect(report.results.map((result) => result.kind)).toEqual(['depth', 'aliases', 'batch']);
    });

    it('checkGraphqlExposure: no stack trace or internal message in any error', async () => {
      const report = await checkGraphqlExposure(sample.app, {
        path: ENDPOINT,
        headers: auth(b),
        errorQueries: ['{ order(id: "not-a-uuid") { id } }', '{ users(limit: -1) { id } }'],
      });
      // Introspection and suggestions are the driver's defaults here (outside production); errors never leak.
      expect(report.findings.filter((f) => f.kind === 'stack-trace' || f.kind === 'internal-message')).toEqual([]);
    });
  });

  it('never sent B any of A’s data, in any response', () => {
    expect(seenByB.length).toBeGreaterThan(5);
    for (const text of seenByB) {
      expect(text).not.toContain(orderOfA);
      expect(text).not.toContain('ALICE-SKU-1');
      expect(text).not.toContain(a.email);
      expect(text).not.toContain('vip-note-of-alice');
    }
  });
});
