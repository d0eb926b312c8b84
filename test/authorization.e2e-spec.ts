import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import {
  AdminController,
  AuthorizationTestingModule,
  EVENTS,
  ItemOwnershipResolver,
  ItemsController,
  ItemStore,
  itemOwnership,
  StaticRolesAuthenticator,
} from './fixtures/authorization.fixture';
import { ADAPTERS, createApp } from './utils/create-app';

type Problem = Record<string, unknown>;

/** A problem-details body, checked for shape, status and code. */
function problem(res: request.Response, status: number, code: string): Problem {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Problem;
  expect(body.status).toBe(status);
  expect(body.code).toBe(code);
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body;
}

/** What a client can compare between two answers: everything but the per-request id and the path echoed back. */
function comparable(res: request.Response): Problem {
  const { requestId: _requestId, instance: _instance, ...rest } = JSON.parse(res.text) as Problem;
  return { ...rest, headers: Object.keys(res.headers).sort() };
}

const A = 'Bearer user-a';
const B = 'Bearer user-b';
const MANAGER = 'Bearer manager';
const ADMIN = 'Bearer admin';

describe.each(ADAPTERS)('authorization over HTTP (%s)', (kind) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());
  const store = () => app.get(ItemStore);

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [ApiSecurityModule.forRoot({ authenticators: [StaticRolesAuthenticator] }), AuthorizationTestingModule],
      controllers: [ItemsController, AdminController],
      providers: [ItemStore, ItemOwnershipResolver, itemOwnership],
    });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    store().reset();
    EVENTS.events.length = 0;
  });

  describe('object level (BOLA)', () => {
    it('lets A read, update and delete its own item', async () => {
      const read = await http().get('/api/items/a-1').set('Authorization', A);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: 'a-1', ownerId: 'user-a', privateNote: 'alpha-private-1' });
      const renamed = await http().patch('/api/items/a-1').set('Authorization', A).send({ name: 'renamed' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ id: 'a-1', name: 'renamed' });
      expect((await http().delete('/api/items/a-1').set('Authorization', A)).status).toBe(204);
      expect(store().get('a-1')).toBeUndefined();
    });

    it('answers B on A’s item with 404 for read, update and delete, and changes nothing', async () => {
      problem(await http().get('/api/items/a-1').set('Authorization', B), 404, ErrorCode.NOT_FOUND);
      problem(
        await http().patch('/api/items/a-1').set('Authorization', B).send({ name: 'stolen' }),
        404,
        ErrorCode.NOT_FOUND,
      );
      problem(await http().delete('/api/items/a-1').set('Authorization', B), 404, ErrorCode.NOT_FOUND);
      expect(store().get('a-1')).toMatchObject({ name: 'alpha one' });
      expect(EVENTS.events.filter((e) => e.type === 'access.denied')).toEqual([
        expect.objectContaining({ reason: 'ownership', principalId: 'user-b', route: 'GET /api/items/:id' }),
        expect.objectContaining({ reason: 'ownership', principalId: 'user-b', route: 'PATCH /api/items/:id' }),
        expect.objectContaining({ reason: 'ownership', principalId: 'user-b', route: 'DELETE /api/items/:id' }),
      ]);
    });

    it('checks ownership before validating the body: B learns nothing from a 400', async () => {
      problem(
        await http().patch('/api/items/a-1').set('Authorization', B).send({ name: 42, role: 'admin' }),
        404,
        ErrorCode.NOT_FOUND,
      );
    });

    it('answers 403 on a route configured with onDenied: 403', async () => {
      problem(await http().get('/api/items/a-1/history').set('Authorization', B), 403, ErrorCode.FORBIDDEN);
      expect((await http().get('/api/items/a-1/history').set('Authorization', A)).status).toBe(200);
    });

    it('answers a non-existent id exactly like someone else’s (but for the request id and path)', async () => {
      const unowned = await http().get('/api/items/a-1').set('Authorization', B);
      const missing = await http().get('/api/items/zz-9').set('Authorization', B);
      problem(unowned, 404, ErrorCode.NOT_FOUND);
      problem(missing, 404, ErrorCode.NOT_FOUND);
      expect(comparable(missing)).toEqual(comparable(unowned));
      expect(JSON.parse(missing.text).instance).toBe('/api/items/zz-9');
      // The 403 variant is uniform too.
      const forbidden = await http().get('/api/items/a-1/history').set('Authorization', B);
      const forbiddenMissing = await http().get('/api/items/zz-9/history').set('Authorization', B);
      expect(comparable(forbiddenMissing)).toEqual(comparable(forbidden));
    });

    it.each([
      ['upper case', '/api/items/A-1'],
      ['encoded dot-dot-slash', '/api/items/%2e%2e%2f'],
      ['encoded dot-dot-slash before the id', '/api/items/%2e%2e%2fa-1'],
      ['dot-dot-slash', '/api/items/../items/a-1'],
      ['trailing slash', '/api/items/a-1/'],
      ['encoded slash', '/api/items/a%2F1'],
      ['double-encoded', '/api/items/a%252D1'],
      ['trailing space', '/api/items/a-1%20'],
      ['NUL byte', '/api/items/a-1%00'],
      ['semicolon', '/api/items/a-1;b-1'],
      ['query id array', '/api/items/zz-9?id[]=a-1'],
      ['query id', '/api/items/zz-9?id=a-1'],
      ['prototype key', '/api/items/__proto__'],
      ['constructor', '/api/items/constructor'],
    ])('never leaks A’s item to B through a variant id: %s', async (_label, path) => {
      const res = await http().get(path).set('Authorization', B);
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('alpha-private');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it.each(['/api/items/A-1', '/api/items/a-1%20', '/api/items/%20a-1', '/api/items/a-1%00'])(
      'does not normalise a variant of A’s own id into a match: %s',
      async (path) => {
        expect((await http().get(path).set('Authorization', A)).status).toBe(404);
      },
    );

    it('cannot delete through an id array trick on the query string', async () => {
      const res = await http().delete('/api/items/b-1?id[]=a-1&id=a-1').set('Authorization', B);
      expect(res.status).toBe(204);
      expect(store().get('a-1')).toBeDefined();
      expect(store().get('b-1')).toBeUndefined();
    });

    it('lets an admin bypass ownership, and still 404s an id that does not exist', async () => {
      expect((await http().get('/api/items/a-1').set('Authorization', ADMIN)).body).toMatchObject({ id: 'a-1' });
      expect((await http().delete('/api/items/b-1').set('Authorization', ADMIN)).status).toBe(204);
      problem(await http().get('/api/items/zz-9').set('Authorization', ADMIN), 404, ErrorCode.NOT_FOUND);
    });

    it('does not let a manager bypass the default (admin-only) bypass, but does where the route says so', async () => {
      problem(await http().get('/api/items/a-1').set('Authorization', MANAGER), 404, ErrorCode.NOT_FOUND);
      expect((await http().get('/api/items/a-1/summary').set('Authorization', MANAGER)).body).toEqual({
        id: 'a-1',
        name: 'alpha one',
      });
      expect((await http().get('/api/items/a-1/summary').set('Authorization', ADMIN)).status).toBe(200);
      problem(await http().get('/api/items/a-1/summary').set('Authorization', B), 404, ErrorCode.NOT_FOUND);
    });
  });

  describe('list scoping and pagination', () => {
    it('lists only the caller’s rows, every row to an admin', async () => {
      const ids = async (auth: string, query = '') =>
        ((await http().get(`/api/items${query}`).set('Authorization', auth)).body as { id: string }[]).map((i) => i.id);
      expect(await ids(A)).toEqual(['a-1', 'a-2']);
      expect(await ids(B)).toEqual(['b-1']);
      expect(await ids(B, '?ownerId=user-a')).toEqual(['b-1']);
      expect(await ids(ADMIN)).toEqual(['a-1', 'a-2', 'b-1']);
      expect(await ids(ADMIN, '?ownerId=user-b')).toEqual(['b-1']);
      expect(await ids(A, '?limit=1&offset=1')).toEqual(['a-2']);
    });

    it('refuses a page over the cap with a 400 naming limit', async () => {
      const body = problem(await http().get('/api/items?limit=101').set('Authorization', A), 400, ErrorCode.VALIDATION);
      expect(body.errors).toEqual([{ field: 'limit', message: 'limit must be at most 100.' }]);
      const arrays = problem(
        await http().get('/api/items?limit=1&limit=2').set('Authorization', A),
        400,
        ErrorCode.VALIDATION,
      );
      expect((arrays.errors as { field: string }[]).map((e) => e.field)).toEqual(['limit']);
    });
  });

  describe('function level (BFLA)', () => {
    it('answers a user on an admin route with 403, not 401', async () => {
      problem(await http().get('/api/admin/stats').set('Authorization', A), 403, ErrorCode.FORBIDDEN);
      expect(EVENTS.events).toContainEqual(
        expect.objectContaining({ type: 'access.denied', reason: 'role', principalId: 'user-a' }),
      );
      problem(await http().get('/api/admin/stats'), 401, ErrorCode.UNAUTHENTICATED);
    });

    it('lets a manager in on the manager route only; an admin everywhere through the hierarchy', async () => {
      expect((await http().get('/api/admin/reports').set('Authorization', MANAGER)).status).toBe(200);
      problem(await http().get('/api/admin/stats').set('Authorization', MANAGER), 403, ErrorCode.FORBIDDEN);
      problem(await http().get('/api/admin/reports').set('Authorization', A), 403, ErrorCode.FORBIDDEN);
      expect((await http().get('/api/admin/reports').set('Authorization', ADMIN)).status).toBe(200);
      expect((await http().get('/api/admin/stats').set('Authorization', ADMIN)).status).toBe(200);
    });

    it('lets an admin use an opted-out id route and keeps users out by role', async () => {
      expect((await http().get('/api/admin/users/user-b').set('Authorization', ADMIN)).body).toEqual({ id: 'user-b' });
      problem(await http().get('/api/admin/users/user-b').set('Authorization', A), 403, ErrorCode.FORBIDDEN);
    });

    it('requires the scope of an API-key principal; user sessions are not limited by scopes', async () => {
      problem(
        await http().get('/api/items/a-1/export').set('Authorization', 'Bearer key-a-none'),
        403,
        ErrorCode.FORBIDDEN,
      );
      expect(EVENTS.events).toContainEqual(expect.objectContaining({ type: 'access.denied', reason: 'scope' }));
      expect((await http().get('/api/items/a-1/export').set('Authorization', 'Bearer key-a-read')).status).toBe(200);
      expect((await http().get('/api/items/a-1/export').set('Authorization', A)).status).toBe(200);
      // A scope does not widen ownership.
      problem(
        await http().get('/api/items/b-1/export').set('Authorization', 'Bearer key-a-read'),
        404,
        ErrorCode.NOT_FOUND,
      );
    });
  });

  describe('method override', () => {
    it('ignores X-HTTP-Method-Override: DELETE on a GET', async () => {
      for (const header of ['X-HTTP-Method-Override', 'X-Method-Override', 'X-HTTP-Method']) {
        const res = await http().get('/api/items/a-1').set('Authorization', A).set(header, 'DELETE');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: 'a-1' });
      }
      expect(store().get('a-1')).toBeDefined();
    });

    it('does not turn a POST into a DELETE either (header or _method)', async () => {
      const res = await http()
        .post('/api/items/a-1?_method=DELETE')
        .set('Authorization', A)
        .set('X-HTTP-Method-Override', 'DELETE')
        .send({ _method: 'DELETE' });
      expect(res.status).toBe(404);
      expect(store().get('a-1')).toBeDefined();
    });

    it('does not let B smuggle a DELETE past the GET route either', async () => {
      const res = await http().get('/api/items/a-1').set('Authorization', B).set('X-HTTP-Method-Override', 'DELETE');
      expect(res.status).toBe(404);
      expect(store().get('a-1')).toBeDefined();
    });
  });
});
