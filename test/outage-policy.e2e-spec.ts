import { Controller, Get, type INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  ApiSecurityModule,
  ErrorCode,
  PasswordService,
  Public,
  RateLimit,
  SECURITY_STORE,
  type SecurityStore,
  type SecurityStoreOptions,
} from '@api-security/nestjs';
import { solveProofOfWork } from '@api-security/nestjs/testing';
import { AnyUserAuthenticator, FlowsController, FlowsTestingModule } from './fixtures/flows.fixture';
import { serverConfig } from './fixtures/jwt.fixture';
import { Accounts, tokenEndpointsApp } from './fixtures/token-endpoints.fixture';
import { TcpProxy } from './support/tcp-proxy';
import { createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { describeWithServices } from './support/services';

const PASSWORD = 'correct horse battery staple';
const PARALLEL = 30;
const OPEN_LIMIT = 5;

/** A public route with a small limit of its own, to see counters keep working (per instance) during an outage. */
@Controller('open')
class OpenController {
  @Public()
  @RateLimit(`${OPEN_LIMIT}/60s`)
  @Get()
  open(): { ok: true } {
    return { ok: true };
  }
}

interface Pair {
  accessToken: string;
  refreshToken: string;
}

const statuses = (responses: request.Response[]): number[] => responses.map((r) => r.status).sort();

/** Retries until `attempt` resolves (the store reconnects in the background after an outage). */
async function eventually(attempt: () => Promise<unknown>, withinMs = 5000): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (Date.now() - started > withinMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describeWithServices('outage policy over Redis', ['redis'], ({ redis: redisUrl }) => {
  const target = new URL(redisUrl);
  const targetHost = target.hostname.replace(/^\[|\]$/g, '');
  const targetPort = Number(target.port || 6379);

  /**
   * Two instances (Express and Fastify) sharing Redis through one TCP proxy, with
   * `onUnavailable: 'failOpen'`: cutting the proxy is a Redis outage as both instances see it.
   */
  const outage = (build: (kind: AdapterKind, store: SecurityStoreOptions) => Promise<INestApplication>) => {
    const state = { proxy: undefined as unknown as TcpProxy, apps: [] as INestApplication[] };
    beforeEach(async () => {
      state.proxy = await TcpProxy.start({ targetHost, targetPort });
      const store: SecurityStoreOptions = {
        type: 'redis',
        url: `redis://127.0.0.1:${state.proxy.port}`,
        keyPrefix: `e2e-outage-policy-${randomUUID()}:`,
        onUnavailable: 'failOpen',
        connectTimeoutMs: 300,
        commandTimeoutMs: 300,
      };
      state.apps = [await build('express', store), await build('fastify', store)];
    });
    afterEach(async () => {
      await Promise.all(state.apps.map((app) => app.close()));
      await state.proxy.kill();
    });
    return {
      on: (i: number): INestApplication => state.apps[i % 2] as INestApplication,
      cut: (): void => state.proxy.blackhole(),
      /** Brings Redis back and waits until both instances answer from it again. */
      restore: async (): Promise<void> => {
        state.proxy.resume();
        await Promise.all(state.apps.map((app) => eventually(() => app.get<SecurityStore>(SECURITY_STORE).ping())));
      },
    };
  };

  describe('Redis outage under failOpen: sessions fail closed (express + fastify)', () => {
    const config = serverConfig('ES256');
    const accounts = new Accounts();
    let passwordHash: string | undefined;
    const { on, cut, restore } = outage(async (kind, store) => {
      const metadata = tokenEndpointsApp({ jwt: config.jwt, accounts, store });
      const app = await createApp(kind, {
        ...metadata,
        controllers: [...(metadata.controllers ?? []), OpenController],
      });
      passwordHash ??= await app.get(PasswordService).hash(PASSWORD);
      return app;
    });
    const http = (i: number) => request(on(i).getHttpServer());
    const login = (i: number, email: string) => http(i).post('/api/v1/auth/login').send({ email, password: PASSWORD });
    const refresh = (i: number, refreshToken: string) => http(i).post('/api/v1/auth/refresh').send({ refreshToken });
    const me = (i: number, accessToken: string) =>
      http(i).get('/api/v1/probe/me').set('Authorization', `Bearer ${accessToken}`);
    const newUser = () => {
      if (!passwordHash) throw new Error('the apps hash the fixture password when they start');
      return accounts.add(`outage-${randomUUID().slice(0, 8)}@example.com`, passwordHash);
    };
    const loggedIn = async (i: number, email: string): Promise<Pair> => {
      const res = await login(i, email);
      expect(res.status).toBe(200);
      return res.body as Pair;
    };

    it(`a token revoked before the outage gets 503 on both instances (${PARALLEL} parallel), never 200, while a rate-limited public route keeps answering and limiting`, async () => {
      const session = await loggedIn(0, newUser().email);
      const loggedOut = await http(0).post('/api/v1/auth/logout').set('Authorization', `Bearer ${session.accessToken}`);
      expect(loggedOut.status).toBe(204);
      expect((await me(1, session.accessToken)).status).toBe(401);

      cut();
      const during = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => me(i, session.accessToken)));
      expect(statuses(during)).toEqual(Array<number>(PARALLEL).fill(503));
      for (const res of during) expectProblem(res, 503, ErrorCode.STORE_UNAVAILABLE);

      for (const i of [0, 1]) {
        const open = await Promise.all(Array.from({ length: PARALLEL }, () => http(i).get('/api/open')));
        // Counted in the instance's own memory: the route's limit holds per instance.
        expect(statuses(open)).toEqual([
          ...Array<number>(OPEN_LIMIT).fill(200),
          ...Array<number>(PARALLEL - OPEN_LIMIT).fill(429),
        ]);
      }

      await restore();
      expect((await me(1, session.accessToken)).status).toBe(401);
    });

    it('refresh rotation and login fail closed during the outage, and the refresh token is intact after it', async () => {
      const user = newUser();
      const session = await loggedIn(1, user.email);

      cut();
      const refreshes = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => refresh(i, session.refreshToken)));
      expect(statuses(refreshes)).toEqual(Array<number>(PARALLEL).fill(503));
      expectProblem(refreshes[0] as request.Response, 503, ErrorCode.STORE_UNAVAILABLE);
      for (const i of [0, 1]) expectProblem(await login(i, user.email), 503, ErrorCode.STORE_UNAVAILABLE);
      // A wrong password is refused the same way: the lockout cannot be read, so no guess is checked.
      const guess = await http(0).post('/api/v1/auth/login').send({ email: user.email, password: 'wrong guess' });
      expectProblem(guess, 503, ErrorCode.STORE_UNAVAILABLE);

      await restore();
      const rotations = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => refresh(i, session.refreshToken)));
      expect(statuses(rotations)).toEqual([200, ...Array<number>(PARALLEL - 1).fill(401)]);
      expect((await login(0, user.email)).status).toBe(200);
    });
  });

  describe('Redis outage under failOpen: one-time challenges fail closed (express + fastify)', () => {
    const { on, cut, restore } = outage((kind, store) =>
      createApp(kind, {
        imports: [ApiSecurityModule.forRoot({ authenticators: [AnyUserAuthenticator], store }), FlowsTestingModule],
        controllers: [FlowsController],
      }),
    );
    const as = (user: string, req: request.Test) => req.set('Authorization', `Bearer ${user}`);
    const issue = (i: number, user: string) => as(user, request(on(i).getHttpServer()).get('/api/flows/pow/challenge'));
    const answer = (i: number, user: string, body: object) =>
      as(user, request(on(i).getHttpServer()).post('/api/flows/pow')).send(body);

    it(`a challenge issued before the outage is neither spent nor accepted during it (${PARALLEL} parallel answers get 503), and is accepted once after`, async () => {
      const user = `u-${randomUUID()}`;
      const issued = await issue(0, user);
      expect(issued.status).toBe(200);
      const { challenge, difficulty } = issued.body as { challenge: string; difficulty: number };
      const nonce = solveProofOfWork(challenge, difficulty);

      cut();
      const during = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => answer(i, user, { challenge, nonce })),
      );
      expect(statuses(during)).toEqual(Array<number>(PARALLEL).fill(503));
      expectProblem(during[0] as request.Response, 503, ErrorCode.STORE_UNAVAILABLE);
      // Issuing needs the store too: a challenge kept in one instance's memory could be answered once per instance.
      for (const i of [0, 1]) expectProblem(await issue(i, user), 503, ErrorCode.STORE_UNAVAILABLE);

      await restore();
      const after = await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => answer(i, user, { challenge, nonce })),
      );
      expect(statuses(after)).toEqual([201, ...Array<number>(PARALLEL - 1).fill(409)]);
    });
  });
});
