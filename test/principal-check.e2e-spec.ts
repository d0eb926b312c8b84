import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ErrorCode, PasswordService, TokenService } from '@api-security/nestjs';
import { serverConfig } from './fixtures/jwt.fixture';
import { Accounts, tokenEndpointsApp, type FixtureUser } from './fixtures/token-endpoints.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';

const PASSWORD = 'correct horse battery staple';
const ME = '/api/v1/probe/me';
const PARALLEL = 30;

let passwordHash: string | undefined;

async function startApp(kind: AdapterKind, accounts: Accounts, principalCheckCacheSeconds?: number) {
  const app = await createApp(
    kind,
    tokenEndpointsApp({
      jwt: serverConfig('ES256').jwt,
      accounts,
      ...(principalCheckCacheSeconds !== undefined ? { principalCheckCacheSeconds } : {}),
    }),
  );
  passwordHash ??= await app.get(PasswordService).hash(PASSWORD);
  return app;
}

const statuses = (responses: request.Response[]): number[] => responses.map((r) => r.status).sort();

describe.each(ADAPTERS)('principal check: subjects that no longer exist (%s)', (kind) => {
  const accounts = new Accounts();
  let app: INestApplication;
  const me = (token: string) => request(app.getHttpServer()).get(ME).set('Authorization', `Bearer ${token}`);

  async function session(): Promise<{ user: FixtureUser; token: string }> {
    if (!passwordHash) throw new Error('start the app first');
    const user = accounts.add(`pc-${randomUUID().slice(0, 8)}@example.com`, passwordHash);
    const res = await request(app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: PASSWORD });
    expect(res.status).toBe(200);
    return { user, token: res.body.accessToken as string };
  }

  beforeAll(async () => {
    app = await startApp(kind, accounts, 0);
  });
  afterAll(() => app?.close());

  it(`a deleted subject's validly signed token gets 401 invalid_token (${PARALLEL} in parallel); user B goes on`, async () => {
    const a = await session();
    const b = await session();
    expect((await me(a.token)).status).toBe(200);
    accounts.remove(a.user.id);
    const refused = await Promise.all(Array.from({ length: PARALLEL }, () => me(a.token)));
    expect(statuses(refused)).toEqual(Array<number>(PARALLEL).fill(401));
    const problem = refused[0];
    if (!problem) throw new Error('no response');
    expectProblem(problem, 401, ErrorCode.UNAUTHENTICATED);
    expect(problem.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect((await me(b.token)).status).toBe(200);
  });

  it('a token signed with the right key for a subject that never existed gets 401', async () => {
    const forged = await app.get(TokenService).issueAccessToken({ sub: `nobody-${randomUUID()}`, role: 'admin' });
    expectProblem(await me(forged.token), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('a deactivated subject gets 401; once reactivated its unrevoked token works again', async () => {
    const a = await session();
    accounts.setActive(a.user.id, false);
    expectProblem(await me(a.token), 401, ErrorCode.UNAUTHENTICATED);
    accounts.setActive(a.user.id, true);
    expect((await me(a.token)).status).toBe(200);
  });
});

describe.each(ADAPTERS)('principal check cache (%s)', (kind) => {
  const accounts = new Accounts();
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(kind, accounts, 60);
  });
  afterAll(() => app?.close());

  it(`asks the application once per subject for ${PARALLEL} parallel requests within the cache time`, async () => {
    if (!passwordHash) throw new Error('start the app first');
    const user = accounts.add(`pc-${randomUUID().slice(0, 8)}@example.com`, passwordHash);
    const { token } = await app.get(TokenService).issueAccessToken({ sub: user.id, role: 'user' });
    const before = accounts.lookups;
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        request(app.getHttpServer()).get(ME).set('Authorization', `Bearer ${token}`),
      ),
    );
    expect(statuses(results)).toEqual(Array<number>(PARALLEL).fill(200));
    expect(accounts.lookups - before).toBe(1);
  });
});

describe.each(ADAPTERS)('without a principal check (%s)', (kind) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await startApp(kind, new Accounts());
  });
  afterAll(() => app?.close());

  it('a verified token of an unknown subject is not refused by the library: registering a check is the opt-in', async () => {
    const token = await app.get(TokenService).issueAccessToken({ sub: `nobody-${randomUUID()}`, role: 'user' });
    const res = await request(app.getHttpServer()).get(ME).set('Authorization', `Bearer ${token.token}`);
    expect(res.status).toBe(200);
  });
});
