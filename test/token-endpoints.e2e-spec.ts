import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { ErrorCode, PasswordService, RouteInventoryService } from '@api-security/nestjs';
import { serverConfig } from './fixtures/jwt.fixture';
import {
  ACCESS_TOKEN_TTL,
  Accounts,
  MAX_FAILURES,
  tokenEndpointsApp,
  type FixtureUser,
  type TokenEndpointsAppOptions,
} from './fixtures/token-endpoints.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { describeWithServices } from './support/services';

const PASSWORD = 'correct horse battery staple';
const LOGIN = '/api/v1/auth/login';
const REFRESH = '/api/v1/auth/refresh';
const LOGOUT = '/api/v1/auth/logout';
const ME = '/api/v1/probe/me';
const PARALLEL = 30;

interface Pair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

/** One argon2id hash of PASSWORD, made by the app's own PasswordService (same parameters as its logins). */
let passwordHash: string | undefined;

async function startApp(kind: AdapterKind, options: TokenEndpointsAppOptions): Promise<INestApplication> {
  const app = await createApp(kind, tokenEndpointsApp(options));
  passwordHash ??= await app.get(PasswordService).hash(PASSWORD);
  return app;
}

function newUser(accounts: Accounts, role = 'user'): FixtureUser {
  if (!passwordHash) throw new Error('start an app first: it hashes the fixture password');
  return accounts.add(`user-${randomUUID().slice(0, 8)}@Example.com`, passwordHash, role);
}

/** Helpers bound to one app instance. */
function client(app: INestApplication) {
  const http = () => request(app.getHttpServer());
  return {
    login: (email: string, password = PASSWORD) => http().post(LOGIN).send({ email, password }),
    refresh: (refreshToken: string) => http().post(REFRESH).send({ refreshToken }),
    logout: (accessToken: string) => http().post(LOGOUT).set('Authorization', `Bearer ${accessToken}`),
    me: (accessToken: string) => http().get(ME).set('Authorization', `Bearer ${accessToken}`),
    http,
  };
}

async function loggedIn(app: INestApplication, user: FixtureUser): Promise<Pair> {
  const res = await client(app).login(user.email);
  expect(res.status).toBe(200);
  return res.body as Pair;
}

/** The response body with the request id taken out: everything else must be byte for byte the same. */
function withoutRequestId(res: request.Response): string {
  const { requestId } = JSON.parse(res.text) as { requestId: string };
  expect(typeof requestId).toBe('string');
  return res.text.replace(JSON.stringify(requestId), '"<requestId>"');
}

const statuses = (responses: request.Response[]): number[] => responses.map((r) => r.status).sort();

describe.each(ADAPTERS)('token endpoints (%s)', (kind) => {
  const config = serverConfig('ES256');
  const accounts = new Accounts();
  let app: INestApplication;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    app = await startApp(kind, { jwt: config.jwt, accounts, rateLimit: { login: { login: '100000/60s' } } });
    api = client(app);
  });
  afterAll(() => app?.close());
  afterEach(() => {
    accounts.findByIdAnswersWith = undefined;
  });

  describe('routes', () => {
    it('are in the inventory: login and refresh public, logout authenticated, per-route limits applied', () => {
      const routes = app.get(RouteInventoryService).list();
      const find = (path: string) => routes.find((r) => r.method === 'POST' && r.path === path);
      expect(find(LOGIN)).toMatchObject({ public: true });
      expect(find(REFRESH)).toMatchObject({ public: true });
      expect(find(LOGOUT)).toMatchObject({ public: false });
      expect(
        find(LOGIN)
          ?.rateLimits.map((t) => t.name)
          .sort(),
      ).toEqual(['default', 'route:login']);
      expect(find(REFRESH)?.rateLimits.map((t) => t.name)).toEqual(['default']);
    });

    it('validate the body: no password, a password over 128 characters, an unknown field → 400 naming it', async () => {
      const user = newUser(accounts);
      for (const [body, field] of [
        [{ email: user.email }, 'password'],
        [{ email: user.email, password: 'x'.repeat(129) }, 'password'],
        [{ email: 'x'.repeat(255), password: PASSWORD }, 'email'],
        [{ email: user.email, password: PASSWORD, role: 'admin' }, 'role'],
      ] as const) {
        const res = await api.http().post(LOGIN).send(body);
        const problem = expectProblem(res, 400, ErrorCode.VALIDATION);
        expect((problem.errors as { field: string }[]).map((e) => e.field)).toContain(field);
      }
      expectProblem(await api.http().post(REFRESH).send({}), 400, ErrorCode.VALIDATION);
    });
  });

  describe('login', () => {
    it('answers 200 {accessToken, refreshToken, tokenType: Bearer, expiresIn} for the account, its role in the token', async () => {
      const user = newUser(accounts, 'manager');
      const res = await api.login(user.email.toUpperCase());
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL });
      expect(res.body.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
      expect(decodeJwt(res.body.accessToken)).toMatchObject({ sub: user.id, role: 'manager' });
      expect(res.headers['cache-control']).toBe('no-store');
      const me = await api.me(res.body.accessToken);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ id: user.id, roles: ['manager'] });
    });

    it('answers an unknown email, a wrong password and an inactive account with byte-identical 401 bodies', async () => {
      const user = newUser(accounts);
      const inactive = newUser(accounts);
      accounts.setActive(inactive.id, false);
      const unknown = await api.login(`nobody-${randomUUID()}@example.com`);
      const wrong = await api.login(user.email, 'not the right password');
      const refused = await api.login(inactive.email);
      for (const res of [unknown, wrong, refused]) {
        expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
        expect(res.headers['www-authenticate']).toBe(unknown.headers['www-authenticate']);
        expect(res.headers['content-type']).toBe(unknown.headers['content-type']);
      }
      expect(withoutRequestId(wrong)).toBe(withoutRequestId(unknown));
      expect(withoutRequestId(refused)).toBe(withoutRequestId(unknown));
    });

    it('refuses an inactive account its right password, and lets it in again once reactivated', async () => {
      const user = newUser(accounts);
      accounts.setActive(user.id, false);
      expectProblem(await api.login(user.email), 401, ErrorCode.UNAUTHENTICATED);
      accounts.setActive(user.id, true);
      expect((await api.login(user.email)).status).toBe(200);
    });
  });

  describe('lockout', () => {
    it(`answers 429 with Retry-After after ${MAX_FAILURES} failures, even to the right password; other accounts are not locked`, async () => {
      const user = newUser(accounts);
      for (let i = 0; i < MAX_FAILURES; i++) expect((await api.login(user.email, `wrong ${i}`)).status).toBe(401);
      const locked = await api.login(user.email);
      expectProblem(locked, 429, ErrorCode.ACCOUNT_LOCKED);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await api.login(newUser(accounts).email)).status).toBe(200);
    });

    it(`${PARALLEL} parallel wrong passwords lock the account: the right one then gets 429`, async () => {
      const user = newUser(accounts);
      const guesses = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => api.login(user.email, `parallel guess ${i}`)),
      );
      expect(guesses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
      expect(guesses.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(MAX_FAILURES);
      expectProblem(await api.login(user.email), 429, ErrorCode.ACCOUNT_LOCKED);
    });
  });

  describe('refresh', () => {
    it('rotates: a new pair for the same user; the spent token presented again → 401 and the session ends', async () => {
      const user = newUser(accounts);
      const first = await loggedIn(app, user);
      const rotated = await api.refresh(first.refreshToken);
      expect(rotated.status).toBe(200);
      expect(rotated.body).toMatchObject({ tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL });
      expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
      expect(decodeJwt(rotated.body.accessToken).sub).toBe(user.id);
      expect((await api.me(rotated.body.accessToken)).status).toBe(200);

      const reuse = await api.refresh(first.refreshToken);
      expectProblem(reuse, 401, ErrorCode.UNAUTHENTICATED);
      expect(reuse.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      // The whole family is revoked: the newest token, never used, is refused too.
      expectProblem(await api.refresh(rotated.body.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
    });

    it(`reuse ends the session: the thief's and the victim's access tokens get 401 (${PARALLEL} in parallel), another session 200`, async () => {
      const user = newUser(accounts);
      const victim = await loggedIn(app, user);
      const laptop = await loggedIn(app, user);
      // The thief spends the victim's refresh token first and gets a valid pair of the same session.
      const stolen = await api.refresh(victim.refreshToken);
      expect(stolen.status).toBe(200);
      const thief = stolen.body as Pair;
      expect((await api.me(thief.accessToken)).status).toBe(200);
      expect((await api.me(victim.accessToken)).status).toBe(200);

      // The victim's client refreshes with the token it still holds: reuse detected.
      expectProblem(await api.refresh(victim.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
      const refused = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => api.me(i % 2 ? thief.accessToken : victim.accessToken)),
      );
      expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
      expect(refused[0]?.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expectProblem(await api.refresh(thief.refreshToken), 401, ErrorCode.UNAUTHENTICATED);

      expect((await api.me(laptop.accessToken)).status).toBe(200);
      expect((await api.refresh(laptop.refreshToken)).status).toBe(200);
    });

    it(`of ${PARALLEL} parallel refreshes of one token exactly one wins`, async () => {
      const { refreshToken } = await loggedIn(app, newUser(accounts));
      const results = await Promise.all(Array.from({ length: PARALLEL }, () => api.refresh(refreshToken)));
      expect(statuses(results)).toEqual([200, ...Array<number>(PARALLEL - 1).fill(401)]);
    });

    it('refuses to refresh a deactivated account (401); the token presented is spent, reactivation needs a new login', async () => {
      const user = newUser(accounts);
      const pair = await loggedIn(app, user);
      accounts.setActive(user.id, false);
      expectProblem(await api.refresh(pair.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
      accounts.setActive(user.id, true);
      // Spent by the refused attempt, and its family revoked: presenting it again is reuse.
      expectProblem(await api.refresh(pair.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
    });
  });

  describe('two users', () => {
    it("user A's refresh token gets A's tokens only, whatever else the request carries; B's session is untouched", async () => {
      const a = newUser(accounts, 'user');
      const b = newUser(accounts, 'admin');
      const pairA = await loggedIn(app, a);
      const pairB = await loggedIn(app, b);

      const naming = await api
        .http()
        .post(REFRESH)
        .send({ refreshToken: pairA.refreshToken, userId: b.id, email: b.email });
      expectProblem(naming, 400, ErrorCode.VALIDATION);

      const withB = await api
        .http()
        .post(REFRESH)
        .set('Authorization', `Bearer ${pairB.accessToken}`)
        .send({ refreshToken: pairA.refreshToken });
      expect(withB.status).toBe(200);
      expect(decodeJwt(withB.body.accessToken)).toMatchObject({ sub: a.id, role: 'user' });
      expect((await api.me(withB.body.accessToken)).body).toEqual({ id: a.id, roles: ['user'] });

      // A's reuse and logout end A's sessions only.
      expect((await api.refresh(pairA.refreshToken)).status).toBe(401);
      expect((await api.me(withB.body.accessToken)).status).toBe(401);
      expect((await api.me(pairB.accessToken)).status).toBe(200);
      const againA = await loggedIn(app, a);
      expect((await api.logout(againA.accessToken)).status).toBe(204);
      expect((await api.me(pairB.accessToken)).status).toBe(200);
      const nextB = await api.refresh(pairB.refreshToken);
      expect(nextB.status).toBe(200);
      expect(decodeJwt(nextB.body.accessToken)).toMatchObject({ sub: b.id, role: 'admin' });
    });

    it("a store that answers A's id with B's account mints nobody's tokens", async () => {
      const a = newUser(accounts, 'user');
      const b = newUser(accounts, 'admin');
      const pairA = await loggedIn(app, a);
      accounts.findByIdAnswersWith = b;
      const res = await api.refresh(pairA.refreshToken);
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(res.text).not.toContain('accessToken');
    });
  });

  describe('logout', () => {
    it('answers 204; the access token and its refresh token stop working; another session of the user goes on', async () => {
      const user = newUser(accounts);
      const session = await loggedIn(app, user);
      const other = await loggedIn(app, user);
      expect((await api.me(session.accessToken)).status).toBe(200);

      const out = await api.logout(session.accessToken);
      expect(out.status).toBe(204);
      expect(out.text).toBe('');
      const refused = await Promise.all(Array.from({ length: PARALLEL }, () => api.me(session.accessToken)));
      expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
      expectProblem(await api.refresh(session.refreshToken), 401, ErrorCode.UNAUTHENTICATED);

      expect((await api.me(other.accessToken)).status).toBe(200);
      expect((await api.refresh(other.refreshToken)).status).toBe(200);
    });

    it(`ends every access token of the session, earlier ones included (${PARALLEL} in parallel); another session goes on`, async () => {
      const user = newUser(accounts);
      const first = await loggedIn(app, user);
      const other = await loggedIn(app, user);
      const rotated = await api.refresh(first.refreshToken);
      expect(rotated.status).toBe(200);
      const current = rotated.body as Pair;
      expect((await api.me(first.accessToken)).status).toBe(200);

      expect((await api.logout(current.accessToken)).status).toBe(204);
      const refused = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => api.me(i % 2 ? first.accessToken : current.accessToken)),
      );
      expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
      expectProblem(await api.refresh(current.refreshToken), 401, ErrorCode.UNAUTHENTICATED);

      expect((await api.me(other.accessToken)).status).toBe(200);
    });

    it('needs an access token: 401 with WWW-Authenticate without one', async () => {
      const res = await api.http().post(LOGOUT);
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
    });
  });
});

describe.each(ADAPTERS)('token endpoints with a login tier (%s)', (kind) => {
  const accounts = new Accounts();
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(kind, { jwt: serverConfig('ES256').jwt, accounts, rateLimit: { login: { login: '3/60s' } } });
  });
  afterAll(() => app?.close());

  it(`admits 3 of ${PARALLEL} parallel logins from one client; the rest get 429 with Retry-After`, async () => {
    const user = newUser(accounts);
    const api = client(app);
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => api.login(user.email)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(PARALLEL - 3);
    for (const res of limited) {
      expectProblem(res, 429, ErrorCode.RATE_LIMITED);
      expect(res.headers['ratelimit-policy']).toMatch(/login/);
    }
    // The limit is the route's: refresh is not counted in it.
    expect((await api.refresh((results.find((r) => r.status === 200)?.body as Pair).refreshToken)).status).toBe(200);
  });
});

describeWithServices('token endpoints over Redis', ['redis'], ({ redis: url }) => {
  describe('token endpoints on two instances sharing Redis (express + fastify)', () => {
    const config = serverConfig('ES256');
    const accounts = new Accounts();
    let one: INestApplication;
    let two: INestApplication;
    const on = (i: number) => client(i % 2 ? two : one);

    beforeAll(async () => {
      const store = { type: 'redis' as const, url, keyPrefix: `token-endpoints-e2e-${randomUUID()}:` };
      one = await startApp('express', { jwt: config.jwt, accounts, store });
      two = await startApp('fastify', { jwt: config.jwt, accounts, store });
    });
    afterAll(async () => {
      await one?.close();
      await two?.close();
    });

    it(`${PARALLEL} parallel wrong passwords over both instances lock the account on both`, async () => {
      const user = newUser(accounts);
      const guesses = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => on(i).login(user.email, `parallel guess ${i}`)),
      );
      expect(guesses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
      expect(guesses.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(MAX_FAILURES);
      expectProblem(await on(0).login(user.email), 429, ErrorCode.ACCOUNT_LOCKED);
      expectProblem(await on(1).login(user.email), 429, ErrorCode.ACCOUNT_LOCKED);
    });

    it(`of ${PARALLEL} parallel refreshes of one token over both instances exactly one wins`, async () => {
      const { refreshToken } = await loggedIn(one, newUser(accounts));
      const results = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => on(i).refresh(refreshToken)));
      expect(statuses(results)).toEqual([200, ...Array<number>(PARALLEL - 1).fill(401)]);
    });

    it('a refresh token spent on one instance and replayed on the other ends the session on both', async () => {
      const first = await loggedIn(one, newUser(accounts));
      const rotated = await on(0).refresh(first.refreshToken);
      expect(rotated.status).toBe(200);
      expectProblem(await on(1).refresh(first.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
      expectProblem(await on(0).refresh(rotated.body.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
    });

    it(`reuse detected on one instance ends the session's access tokens on both (${PARALLEL} in parallel); another session goes on`, async () => {
      const user = newUser(accounts);
      const victim = await loggedIn(one, user);
      const other = await loggedIn(two, user);
      const stolen = await on(1).refresh(victim.refreshToken);
      expect(stolen.status).toBe(200);
      const thief = stolen.body as Pair;
      // Both instances have verified (and cached) both tokens before the revocation.
      for (const i of [0, 1]) {
        expect((await on(i).me(thief.accessToken)).status).toBe(200);
        expect((await on(i).me(victim.accessToken)).status).toBe(200);
      }
      expectProblem(await on(0).refresh(victim.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
      const refused = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => on(i).me(i % 4 < 2 ? thief.accessToken : victim.accessToken)),
      );
      expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
      expect((await on(0).me(other.accessToken)).status).toBe(200);
      expect((await on(1).me(other.accessToken)).status).toBe(200);
    });

    it(`a logout on one instance ends the session's earlier access tokens on both (${PARALLEL} in parallel)`, async () => {
      const user = newUser(accounts);
      const first = await loggedIn(one, user);
      const other = await loggedIn(one, user);
      const rotated = await on(1).refresh(first.refreshToken);
      expect(rotated.status).toBe(200);
      const current = rotated.body as Pair;
      expect((await on(0).me(first.accessToken)).status).toBe(200);
      expect((await on(1).me(first.accessToken)).status).toBe(200);
      expect((await on(1).logout(current.accessToken)).status).toBe(204);
      const refused = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => on(i).me(i % 4 < 2 ? first.accessToken : current.accessToken)),
      );
      expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
      expect((await on(0).me(other.accessToken)).status).toBe(200);
      expect((await on(1).me(other.accessToken)).status).toBe(200);
    });

    it(`a logout on one instance is refused by ${PARALLEL} parallel requests on both, and its refresh token too`, async () => {
      const user = newUser(accounts);
      const session = await loggedIn(one, user);
      expect((await on(1).me(session.accessToken)).status).toBe(200);
      expect((await on(0).logout(session.accessToken)).status).toBe(204);
      const refused = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => on(i).me(session.accessToken)));
      expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
      expectProblem(await on(1).refresh(session.refreshToken), 401, ErrorCode.UNAUTHENTICATED);
    });
  });
});
