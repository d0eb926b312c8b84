import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, type SecurityEvent } from '@api-security/nestjs';
import {
  calls,
  PASSWORD_HASHES,
  PropertiesController,
  RoleTokenAuthenticator,
  SECRET_THINGS,
} from './fixtures/properties.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { onSecurityEvent } from './utils/security-events';

const USER_A = 'Bearer user-a';
const USER_B = 'Bearer user-b';
const ADMIN = 'Bearer admin-1';

describe.each(ADAPTERS)('object property level authorization over HTTP (%s)', (kind) => {
  let app: INestApplication;
  const bodies: string[] = [];
  let events: SecurityEvent[];
  const http = () => request(app.getHttpServer());

  /** Every response body is kept, to prove at the end that no hidden value ever left the app. */
  async function send(req: request.Test): Promise<request.Response> {
    const res = await req;
    bodies.push(res.text);
    return res;
  }
  const get = (path: string, auth?: string) =>
    send(auth ? http().get(path).set('Authorization', auth) : http().get(path));
  const patchRaw = (path: string, auth: string, raw: string) =>
    send(http().patch(path).set('Authorization', auth).set('Content-Type', 'application/json').send(raw));

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [
        ApiSecurityModule.forRoot({
          authenticators: [RoleTokenAuthenticator],
          // Object-level ownership (`:id` routes) is another suite's subject; its audit findings
          // are logged here instead of stopping the boot.
          audit: { mode: 'warn' },
        }),
      ],
      controllers: [PropertiesController],
    });
    onSecurityEvent(app, (event) => events.push(event));
  });
  beforeEach(() => {
    events = [];
  });
  afterAll(async () => {
    await app.close();
    jest.restoreAllMocks();
  });

  describe('field-level reads', () => {
    it('shows user A their own email, but not admin-only, hidden or undeclared fields', async () => {
      const res = await get('/api/props/users/user-a', USER_A);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: 'user-a',
        name: 'Name user-a',
        email: 'user-a@example.com',
        createdAt: '2026-01-01T00:00:00.000Z',
      });
    });

    it('does not show user A the email of user B', async () => {
      const res = await get('/api/props/users/user-b', USER_A);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: 'user-b', name: 'Name user-b', createdAt: '2026-01-02T00:00:00.000Z' });
    });

    it('shows an admin the admin-only fields, never the hidden or undeclared ones', async () => {
      const res = await get('/api/props/users/user-b', ADMIN);
      expect(res.body).toEqual({
        id: 'user-b',
        name: 'Name user-b',
        email: 'user-b@example.com',
        internalNotes: 'notes about user-b',
        isActive: true,
        createdAt: '2026-01-02T00:00:00.000Z',
      });
    });

    it('projects every item of an array, deciding ownership per item', async () => {
      const res = await get('/api/props/users', USER_A);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(3);
      expect(res.body[0]).toEqual(expect.objectContaining({ id: 'user-a', email: 'user-a@example.com' }));
      expect(res.body[1]).not.toHaveProperty('email');
      expect(res.body[2]).not.toHaveProperty('email');
      for (const item of res.body as Record<string, unknown>[]) {
        expect(Object.keys(item).sort()).not.toEqual(expect.arrayContaining(['internalNotes']));
        expect(item).not.toHaveProperty('isActive');
      }
    });

    it('projects the items of a { items, total } envelope and keeps the envelope', async () => {
      const res = await get('/api/props/users-page', USER_B);
      expect(res.body.total).toBe(3);
      expect(res.body.items.map((u: { email?: string }) => u.email ?? null)).toEqual([
        null,
        'user-b@example.com',
        null,
      ]);
      expect(res.body.items[1]).toEqual({
        id: 'user-b',
        name: 'Name user-b',
        email: 'user-b@example.com',
        createdAt: '2026-01-02T00:00:00.000Z',
      });
    });

    it('projects instances nested in instances and in plain objects', async () => {
      const asUser = await get('/api/props/team', USER_A);
      expect(asUser.body).toEqual({
        team: {
          name: 'core',
          lead: { id: 'admin-1', name: 'Name admin-1', createdAt: '2026-01-03T00:00:00.000Z' },
          members: [
            { id: 'user-a', name: 'Name user-a', email: 'user-a@example.com', createdAt: '2026-01-01T00:00:00.000Z' },
            { id: 'user-b', name: 'Name user-b', createdAt: '2026-01-02T00:00:00.000Z' },
          ],
        },
        generatedAt: '2026-02-01T00:00:00.000Z',
        tags: ['a', 'b'],
      });
      const asAdmin = await get('/api/props/team', ADMIN);
      expect(asAdmin.body.team.budget).toBe(1000);
      expect(asAdmin.body.team.members[0].internalNotes).toBe('notes about user-a');
      expect(asAdmin.body.team.lead.email).toBe('admin-1@example.com');
    });

    it('shows an anonymous caller of a public route only public fields', async () => {
      const res = await get('/api/props/public/users/user-a');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'Name user-a' });
    });

    it('leaves the handler objects untouched: a later read by the admin still sees everything', async () => {
      await get('/api/props/users/user-a', USER_B);
      expect((await get('/api/props/users/user-a', ADMIN)).body.internalNotes).toBe('notes about user-a');
    });
  });

  describe('field-level writes', () => {
    beforeEach(() => {
      calls.update = 0;
      calls.create = 0;
    });

    it('lets a user write an unrestricted field', async () => {
      const res = await send(http().patch('/api/props/users/user-a').set('Authorization', USER_A).send({ name: 'A' }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ updated: 'user-a', received: ['name'] });
      expect(calls.update).toBe(1);
    });

    it('refuses a user sending role with a 403 naming role; the handler never runs', async () => {
      const res = await send(
        http().patch('/api/props/users/user-a').set('Authorization', USER_A).send({ name: 'A', role: 'admin' }),
      );
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe(ErrorCode.FORBIDDEN);
      expect(res.body.errors).toEqual([{ field: 'role', message: expect.stringContaining('role') }]);
      expect(calls.update).toBe(0);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'access.denied',
          reason: 'field_write',
          principalId: 'user-a',
          route: 'PATCH /api/props/users/:id',
          details: expect.objectContaining({ field: 'role', count: 1 }),
        }),
      ]);
    });

    it('refuses null and unchanged values too: sending the field is the attempt', async () => {
      const res = await send(
        http().patch('/api/props/users/user-a').set('Authorization', USER_A).send({ isActive: null }),
      );
      expect(res.status).toBe(403);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['isActive']);
      expect(calls.update).toBe(0);
    });

    it('refuses admin-only fields in nested DTOs and in arrays of them, naming each path', async () => {
      const res = await send(
        http()
          .patch('/api/props/users/user-a')
          .set('Authorization', USER_A)
          .send({ profile: { bio: 'hi', verified: true }, addresses: [{ city: 'X' }, { city: 'Y', verified: true }] }),
      );
      expect(res.status).toBe(403);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'addresses[1].verified',
        'profile.verified',
      ]);
      expect(calls.update).toBe(0);
    });

    it('refuses a restricted field at the top of a body DTO on another route', async () => {
      const res = await send(http().post('/api/props/profiles').set('Authorization', USER_B).send({ verified: true }));
      expect(res.status).toBe(403);
      expect(res.body.errors).toEqual([{ field: 'verified', message: expect.any(String) }]);
      expect(calls.create).toBe(0);
    });

    it('lets an admin write every field, nested ones included', async () => {
      const res = await send(
        http()
          .patch('/api/props/users/user-b')
          .set('Authorization', ADMIN)
          .send({
            role: 'admin',
            isActive: false,
            profile: { verified: true },
            addresses: [{ city: 'Y', verified: true }],
          }),
      );
      expect(res.status).toBe(200);
      expect(res.body.received).toEqual(['addresses', 'isActive', 'profile', 'role']);
      expect(calls.update).toBe(1);
      expect(events).toEqual([]);
    });

    it('still refuses an unknown field with a 400 naming it (whitelist)', async () => {
      const res = await send(
        http().patch('/api/props/users/user-a').set('Authorization', ADMIN).send({ nickname: 'x' }),
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(ErrorCode.VALIDATION);
      expect(res.body.errors).toEqual([{ field: 'nickname', message: expect.stringContaining('nickname') }]);
      expect(calls.update).toBe(0);
    });

    it('validates a body exactly once per request', async () => {
      calls.validations = 0;
      const res = await send(http().patch('/api/props/users/user-a').set('Authorization', USER_A).send({ name: 'A' }));
      expect(res.status).toBe(200);
      expect(calls.validations).toBe(1);
    });
  });

  describe('prototype keys', () => {
    const post = (path: string, raw: string) =>
      send(http().post(path).set('Authorization', USER_A).set('Content-Type', 'application/json').send(raw));

    beforeEach(() => {
      calls.update = 0;
      calls.settings = 0;
    });
    afterEach(() => {
      // Whatever happened, the process's objects must be clean.
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('lets an ordinary body reach the untyped route (the control case)', async () => {
      const res = await post('/api/props/settings', '{"theme": {"dark": true}, "list": [{"a": 1}]}');
      expect(res.status).toBe(201);
      expect(calls.settings).toBe(1);
    });

    it.each([
      ['__proto__ at the top', '{"__proto__": {"isAdmin": true}}'],
      ['constructor.prototype nested', '{"a": {"constructor": {"prototype": {"isAdmin": true}}}}'],
      ['constructor.prototype with an empty object', '{"a": {"constructor": {"prototype": {}}}}'],
      ['prototype in an array body', '[{"prototype": 1}]'],
      ['prototype inside an array', '{"list": [{"ok": 1}, {"prototype": {"polluted": true}}]}'],
      ['__proto__ deep in arrays of arrays', '{"list": [[{"a": {"__proto__": {"polluted": true}}}]]}'],
    ])('refuses %s with a 400 before a merging handler runs', async (_name, raw) => {
      const res = await post('/api/props/settings', raw);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(calls.settings).toBe(0);
    });

    it('refuses them on a DTO route too', async () => {
      const res = await patchRaw('/api/props/users/user-a', ADMIN, '{"name": "x", "profile": {"constructor": {}}}');
      expect(res.status).toBe(400);
      expect(calls.update).toBe(0);
    });

    it('names the offending path when the app parses the key (Fastify refuses only __proto__ and constructor.prototype itself)', async () => {
      const res = await post('/api/props/settings', '{"list": [{"ok": 1}, {"prototype": 1}]}');
      expect(res.body.code).toBe(ErrorCode.VALIDATION);
      expect(res.body.errors).toEqual([{ field: 'list[1].prototype', message: expect.any(String) }]);
    });

    it('names __proto__ on Express, where JSON.parse keeps it as an own key; Fastify refuses it while parsing', async () => {
      const res = await post('/api/props/settings', '{"name": "x", "__proto__": {"isAdmin": true}}');
      expect(res.status).toBe(400);
      if (kind === 'express') {
        expect(res.body.code).toBe(ErrorCode.VALIDATION);
        expect(res.body.errors).toEqual([{ field: '__proto__', message: expect.any(String) }]);
      } else {
        expect(res.body.code).toBe(ErrorCode.MALFORMED_JSON);
      }
    });
  });

  afterAll(() => {
    // Every body received on this adapter, errors included, is scanned for hidden values.
    expect(bodies.length).toBeGreaterThan(20);
    for (const body of bodies) {
      expect(body).not.toContain('passwordHash');
      expect(body).not.toContain('secretThing');
      for (const value of [...PASSWORD_HASHES, ...SECRET_THINGS]) expect(body).not.toContain(value);
    }
  });
});
