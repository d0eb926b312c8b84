import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { expectProblem } from '../utils/problem';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { describeWithServices, type Service } from '../support/services';

const PASSWORD = 'correct horse battery staple';

function uniqueEmail(tag: string): string {
  return `${tag}-${randomUUID().slice(0, 8)}@Example.com`;
}

function withoutRequestId(text: string): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return rest;
}

describe(`sample-api authentication (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const http = () => request(sample.app.getHttpServer());

  async function register(email = uniqueEmail('user')): Promise<{ id: string; email: string }> {
    const res = await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Test User' });
    expect(res.status).toBe(201);
    return res.body as { id: string; email: string };
  }

  function login(email: string, password = PASSWORD): request.Test {
    return http().post('/api/v1/auth/login').send({ email, password });
  }

  beforeAll(async () => {
    sample = await startSampleApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '60' });
  });
  afterAll(() => sample.close());

  describe('register', () => {
    it('creates a user and answers only {id, email, name}', async () => {
      const email = uniqueEmail('reg');
      const res = await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Ann' });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(['email', 'id', 'name']);
      expect(res.body.email).toBe(email.toLowerCase());
    });

    it('refuses a password under 12 characters with 400 naming the field', async () => {
      const res = await http()
        .post('/api/v1/auth/register')
        .send({ email: uniqueEmail('short'), password: 'elevenchars', name: 'Ann' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('password');
    });

    it('refuses any other field, such as role, with 400 and creates nothing', async () => {
      const email = uniqueEmail('role');
      const res = await http()
        .post('/api/v1/auth/register')
        .send({ email, password: PASSWORD, name: 'Mallory', role: 'admin' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('role');
      expect((await login(email)).status).toBe(401);
    });

    it('answers 409 for a taken email, whatever its case', async () => {
      const { email } = await register();
      const res = await http()
        .post('/api/v1/auth/register')
        .send({ email: email.toUpperCase(), password: PASSWORD, name: 'Dup' });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    });
  });

  describe('credentials and identities', () => {
    function expectRefused(res: request.Response, field: string, message: RegExp): void {
      expectProblem(res, 400, ErrorCode.VALIDATION);
      const errors = (JSON.parse(res.text) as { errors: { field: string; message: string }[] }).errors;
      expect(errors.map((e) => e.field)).toEqual(errors.map(() => field));
      expect(errors.map((e) => e.message).join('\n')).toMatch(message);
    }

    it.each([
      ['one repeated character', 'aaaaaaaaaaaa', /repeated/],
      ['a commonly used password', 'password1234', /too common/],
      ['a commonly used password in capitals', 'Password1234', /too common/],
      ['twelve spaces', ' '.repeat(12), /spaces/],
    ])('refuses %s as a password (400 problem naming password) and creates nothing', async (_, password, message) => {
      const email = uniqueEmail('weak');
      expectRefused(
        await http().post('/api/v1/auth/register').send({ email, password, name: 'Ann' }),
        'password',
        message,
      );
      expect((await login(email, password)).status).toBe(401);
    });

    it.each([
      ['a zero-width space', 'ad\u200bmin@example.com', /invisible/],
      ['a bidi override', 'admin\u202e@example.com', /invisible/],
      ['a Cyrillic а among Latin letters', '\u0430dmin@example.com', /scripts/],
    ])('refuses an email with %s (400 naming email)', async (_, email, message) => {
      const res = await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Ann' });
      expectRefused(res, 'email', message);
    });

    it('stores a fullwidth email as its ASCII form: one account, reachable by either spelling', async () => {
      const tag = randomUUID().slice(0, 8);
      const fullwidth = `ｗｉｄｅ-${tag}＠ｅｘａｍｐｌｅ．ｃｏｍ`;
      const res = await http().post('/api/v1/auth/register').send({ email: fullwidth, password: PASSWORD, name: 'W' });
      expect(res.status).toBe(201);
      expect(res.body.email).toBe(`wide-${tag}@example.com`);
      const again = await http()
        .post('/api/v1/auth/register')
        .send({ email: `WIDE-${tag}@example.com`, password: PASSWORD, name: 'W' });
      expect(again.status).toBe(409);
      expect((await login(fullwidth)).status).toBe(200);
      expect((await login(`wide-${tag}@example.com`)).status).toBe(200);
    });

    it('lets exactly one of 30 concurrent registrations of one address in different spellings win', async () => {
      const tag = randomUUID().slice(0, 8);
      const ascii = `race-${tag}@example.com`;
      const fullwidth = [...ascii].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
      const spellings = [ascii, ascii.toUpperCase(), ` ${ascii} `, fullwidth, fullwidth.toUpperCase()];
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          http()
            .post('/api/v1/auth/register')
            .send({ email: spellings[i % spellings.length], password: PASSWORD, name: `R${i}` }),
        ),
      );
      const statuses = results.map((res) => res.status).sort();
      expect(statuses).toEqual([201, ...Array.from({ length: 29 }, () => 409)]);
      expect(results.find((res) => res.status === 201)?.body.email).toBe(ascii);
    });

    it('trims the name, and refuses one that is blank once trimmed, on registration and on update', async () => {
      expectRefused(
        await http()
          .post('/api/v1/auth/register')
          .send({ email: uniqueEmail('blank'), password: PASSWORD, name: '   ' }),
        'name',
        /empty/,
      );
      const email = uniqueEmail('trim');
      const created = await http()
        .post('/api/v1/auth/register')
        .send({ email, password: PASSWORD, name: '  Ann Lee  ' });
      expect(created.status).toBe(201);
      expect(created.body.name).toBe('Ann Lee');
      const token = (await login(email)).body.accessToken as string;
      const patch = (name: string) =>
        http().patch(`/api/v1/users/${created.body.id}`).set('Authorization', `Bearer ${token}`).send({ name });
      expectRefused(await patch(' \u3000 '), 'name', /empty/);
      expect((await patch(' Bea ')).body.name).toBe('Bea');
      const me = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
      expect(me.body.name).toBe('Bea');
    });
  });

  describe('login and access tokens', () => {
    it('issues a Bearer pair whose access token carries the contract claims', async () => {
      const { id, email } = await register();
      const res = await login(email);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      expect(typeof res.body.refreshToken).toBe('string');
      const claims = decodeJwt(res.body.accessToken);
      expect(claims).toMatchObject({ sub: id, role: 'user', iss: 'sample-api', aud: 'sample-api' });
      for (const claim of ['jti', 'iat', 'exp']) expect(claims[claim]).toBeDefined();
      expect(decodeProtectedHeader(res.body.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('answers an unknown email and a wrong password with the same 401 body', async () => {
      const { email } = await register();
      const unknown = await login(uniqueEmail('nobody'));
      const wrong = await login(email, 'definitely the wrong one');
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect(withoutRequestId(unknown.text)).toEqual(withoutRequestId(wrong.text));
      expect(unknown.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('serves GET /api/v1/users/me with the profile and nothing internal', async () => {
      const { id, email } = await register();
      const token = (await login(email)).body.accessToken as string;
      const res = await http().get('/api/v1/users/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['avatar', 'createdAt', 'email', 'id', 'name', 'role']);
      expect(res.body).toMatchObject({ id, role: 'user' });
      expect(res.text).not.toMatch(/argon2|passwordHash|internalNotes|isActive/);
    });

    it('refuses /users/me without a token (401 + WWW-Authenticate: Bearer)', async () => {
      const res = await http().get('/api/v1/users/me');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('publishes the signing key at /.well-known/jwks.json, public parts only', async () => {
      const { email } = await register();
      const token = (await login(email)).body.accessToken as string;
      const res = await http().get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      const kid = decodeProtectedHeader(token).kid;
      expect(res.body.keys.map((k: { kid: string }) => k.kid)).toContain(kid);
      for (const key of res.body.keys) for (const secret of ['d', 'p', 'q', 'k']) expect(key[secret]).toBeUndefined();
    });
  });

  describe('lockout', () => {
    it('locks the account after LOGIN_MAX_FAILURES failures, even for the right password, whatever X-Forwarded-For says', async () => {
      const { email } = await register();
      for (let i = 0; i < 3; i++) {
        const res = await http()
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', `203.0.113.${i}`)
          .send({ email, password: `wrong password ${i}` });
        expect(res.status).toBe(401);
      }
      const locked = await http()
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', '198.51.100.7')
        .send({ email, password: PASSWORD });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(locked.headers['content-type']).toMatch(/problem\+json/);
    });

    it('does not lock another account', async () => {
      const { email } = await register();
      expect((await login(email)).status).toBe(200);
    });
  });

  // On the memory store and on Redis (two instances: two-instances.e2e-spec.ts).
  const stores: [string, Record<string, string | undefined>, Service[]][] = [
    ['the memory store', { REDIS_URL: undefined }, []],
    ['Redis', {}, ['redis']],
  ];
  for (const [store, env, services] of stores)
    describeWithServices(`a burst of 60 parallel logins on ${store}`, services, () => {
      let burst: RunningSampleApp;
      beforeAll(async () => {
        burst = await startSampleApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT_SECONDS: '60', ...env });
      });
      afterAll(() => burst.close());

      it('checks at most LOGIN_MAX_FAILURES passwords; every other attempt, the right one included, gets 429', async () => {
        const email = uniqueEmail('burst');
        const created = await request(burst.app.getHttpServer())
          .post('/api/v1/auth/register')
          .send({ email, password: PASSWORD, name: 'Burst' });
        expect(created.status).toBe(201);
        const attempt = (password: string) =>
          request(burst.app.getHttpServer()).post('/api/v1/auth/login').send({ email, password });
        const passwords = Array.from({ length: 60 }, (_, i) => (i === 44 ? PASSWORD : `wrong password ${i}`));
        const results = await Promise.all(passwords.map(attempt));
        const statuses = results.map((res) => res.status);
        expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
        expect(statuses[44]).toBe(429);
        expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
        for (const res of results.filter((r) => r.status === 429)) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(res.headers['content-type']).toMatch(/problem\+json/);
        }
        // Locked until the lockout ends, whatever password comes next.
        expect((await attempt(PASSWORD)).status).toBe(429);
      });
    });

  describe('refresh and logout', () => {
    it('rotates the refresh token; reusing a spent one kills the whole family', async () => {
      const { email } = await register();
      const first = (await login(email)).body.refreshToken as string;
      const rotated = await http().post('/api/v1/auth/refresh').send({ refreshToken: first });
      expect(rotated.status).toBe(200);
      const second = rotated.body.refreshToken as string;
      expect(second).not.toBe(first);
      expect(rotated.body.tokenType).toBe('Bearer');

      const reuse = await http().post('/api/v1/auth/refresh').send({ refreshToken: first });
      expect(reuse.status).toBe(401);
      const newest = await http().post('/api/v1/auth/refresh').send({ refreshToken: second });
      expect(newest.status).toBe(401);
    });

    it('lets exactly one of two concurrent refreshes of the same token win', async () => {
      const { email } = await register();
      const token = (await login(email)).body.refreshToken as string;
      const results = await Promise.all(
        [0, 1, 2, 3].map(() => http().post('/api/v1/auth/refresh').send({ refreshToken: token })),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    });

    it('logout (204) ends the access token and its refresh family at once', async () => {
      const { email } = await register();
      const pair = (await login(email)).body as { accessToken: string; refreshToken: string };
      const auth = { Authorization: `Bearer ${pair.accessToken}` };
      expect((await http().get('/api/v1/users/me').set(auth)).status).toBe(200);
      const out = await http().post('/api/v1/auth/logout').set(auth);
      expect(out.status).toBe(204);
      expect((await http().get('/api/v1/users/me').set(auth)).status).toBe(401);
      expect((await http().post('/api/v1/auth/refresh').send({ refreshToken: pair.refreshToken })).status).toBe(401);
    });

    it('refuses garbage refresh tokens with 401', async () => {
      for (const refreshToken of ['', 'x', 'rt_' + 'A'.repeat(43), 'a'.repeat(512)]) {
        expect((await http().post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(401);
      }
    });
  });
});
