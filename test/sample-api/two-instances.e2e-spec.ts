import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { solveProofOfWork } from '@api-security/nestjs/testing';
import { expectProblem } from '../utils/problem';
import { startSampleApp, type RunningSampleApp } from './sample-app';
import { describeWithServices } from '../support/services';
import { describeWithRedisCluster } from '../support/redis-cluster';

const PASSWORD = 'correct horse battery staple';

/**
 * Two instances behind a load balancer must behave as one: state made on one is seen by the other.
 * Needs a shared database and shared Redis (one server, then a Redis Cluster), which .ci/run provides.
 */
function describeTwoInstances(backend: string, storeEnv: Record<string, string | undefined>): void {
  describe(`two sample-api instances sharing ${backend} and PostgreSQL`, () => {
    let one: RunningSampleApp;
    let two: RunningSampleApp;

    beforeAll(async () => {
      // Instances behind one load balancer share the signing key, as they would in production.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const env = {
        ...storeEnv,
        LOGIN_MAX_FAILURES: '3',
        CHECKOUT_POW_DIFFICULTY: '2',
        CHECKOUT_MAX_PER_HOUR: '3',
        RATE_LIMIT: '100000/60s',
        JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      };
      one = await startSampleApp(env);
      two = await startSampleApp(env, one);
    });
    afterAll(async () => {
      await two.close();
      await one.close();
    });

    async function registered(): Promise<string> {
      const email = `pair-${randomUUID().slice(0, 8)}@example.com`;
      const res = await request(one.app.getHttpServer())
        .post('/api/v1/auth/register')
        .send({ email, password: PASSWORD, name: 'Pair' });
      expect(res.status).toBe(201);
      return email;
    }

    const login = (app: RunningSampleApp, email: string, password = PASSWORD) =>
      request(app.app.getHttpServer()).post('/api/v1/auth/login').send({ email, password });

    it('a lockout built up on instance one holds on instance two', async () => {
      const email = await registered();
      for (let i = 0; i < 3; i++) expect((await login(i % 2 ? two : one, email, 'wrong wrong wrong')).status).toBe(401);
      expect((await login(two, email)).status).toBe(429);
    });

    it('a burst of 60 parallel logins spread over both instances: at most LOGIN_MAX_FAILURES 401s, then 429 for all, the right password included', async () => {
      const email = await registered();
      const passwords = Array.from({ length: 60 }, (_, i) => (i === 44 ? PASSWORD : `wrong password ${i}`));
      const results = await Promise.all(passwords.map((password, i) => login(i % 2 ? two : one, email, password)));
      const statuses = results.map((res) => res.status);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
      expect(statuses[44]).toBe(429);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      expect((await login(one, email)).status).toBe(429);
      expect((await login(two, email)).status).toBe(429);
    });

    it('100 parallel API-key creations spread over both instances make exactly 25 keys', async () => {
      const email = await registered();
      const token = (await login(one, email)).body.accessToken as string;
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          request((i % 2 ? two : one).app.getHttpServer())
            .post('/api/v1/api-keys')
            .set('Authorization', `Bearer ${token}`)
            .send({ name: `pair ${i}` }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(25);
      expect(results.filter((r) => r.status === 409)).toHaveLength(75);
      const listed = await request(two.app.getHttpServer())
        .get('/api/v1/api-keys')
        .set('Authorization', `Bearer ${token}`);
      expect(listed.body).toHaveLength(25);
    });

    it('a logout on instance one kills the access token on instance two', async () => {
      const email = await registered();
      const { accessToken } = (await login(one, email)).body as { accessToken: string };
      const me = () =>
        request(two.app.getHttpServer()).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
      expect((await me()).status).toBe(200);
      expect(
        (
          await request(one.app.getHttpServer())
            .post('/api/v1/auth/logout')
            .set('Authorization', `Bearer ${accessToken}`)
        ).status,
      ).toBe(204);
      expect((await me()).status).toBe(401);
    });

    it('refresh-token reuse detected on instance two revokes the family rotated on instance one', async () => {
      const email = await registered();
      const first = (await login(one, email)).body.refreshToken as string;
      const rotated = await request(one.app.getHttpServer()).post('/api/v1/auth/refresh').send({ refreshToken: first });
      expect(rotated.status).toBe(200);
      const reuse = await request(two.app.getHttpServer()).post('/api/v1/auth/refresh').send({ refreshToken: first });
      expect(reuse.status).toBe(401);
      const newest = await request(one.app.getHttpServer())
        .post('/api/v1/auth/refresh')
        .send({ refreshToken: rotated.body.refreshToken });
      expect(newest.status).toBe(401);
    });

    it('two concurrent refreshes on two instances: exactly one wins', async () => {
      const email = await registered();
      const token = (await login(one, email)).body.refreshToken as string;
      const results = await Promise.all(
        [one, two, one, two].map((app) =>
          request(app.app.getHttpServer()).post('/api/v1/auth/refresh').send({ refreshToken: token }),
        ),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    });

    describe('checkout', () => {
      async function shopper(): Promise<string> {
        const email = await registered();
        return (await login(one, email)).body.accessToken as string;
      }
      const as = (app: RunningSampleApp, token: string) => ({
        order: async () => {
          const res = await request(app.app.getHttpServer())
            .post('/api/v1/orders')
            .set('Authorization', `Bearer ${token}`)
            .send({ items: [{ sku: 'sku-1', quantity: 1 }] });
          expect(res.status).toBe(201);
          return res.body.id as string;
        },
        challenge: async () => {
          const res = await request(app.app.getHttpServer())
            .get('/api/v1/checkout/challenge')
            .set('Authorization', `Bearer ${token}`);
          expect(res.status).toBe(200);
          return res.body as { challenge: string; difficulty: number };
        },
        checkout: (body: object) =>
          request(app.app.getHttpServer()).post('/api/v1/checkout').set('Authorization', `Bearer ${token}`).send(body),
      });

      it('a challenge used on instance one is refused as a replay on instance two', async () => {
        const token = await shopper();
        const { challenge, difficulty } = await as(two, token).challenge();
        const nonce = solveProofOfWork(challenge, difficulty);
        const first = await as(one, token).checkout({ orderId: await as(one, token).order(), challenge, nonce });
        expect(first.status).toBe(201);
        const replay = await as(two, token).checkout({ orderId: await as(two, token).order(), challenge, nonce });
        expectProblem(replay, 409, ErrorCode.CHALLENGE_REUSED);
      });

      it('30 concurrent checkouts spread over both instances never exceed CHECKOUT_MAX_PER_HOUR', async () => {
        const token = await shopper();
        const bodies = await Promise.all(
          Array.from({ length: 30 }, async (_, i) => {
            const app = i % 2 ? two : one;
            const issued = await as(app, token).challenge();
            const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
            return { orderId: await as(app, token).order(), challenge: issued.challenge, nonce };
          }),
        );
        const results = await Promise.all(bodies.map((body, i) => as(i % 2 ? one : two, token).checkout(body)));
        expect(results.filter((r) => r.status === 201)).toHaveLength(3);
        expect(results.filter((r) => r.status === 429)).toHaveLength(27);
      });
    });

    // A pair whose hourly checkout limit is above the burst, so that only the challenge's single use decides.
    describe('one checkout challenge under a burst', () => {
      let left: RunningSampleApp;
      let right: RunningSampleApp;
      beforeAll(async () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const env = {
          CHECKOUT_POW_DIFFICULTY: '2',
          CHECKOUT_MAX_PER_HOUR: '100',
          JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        };
        left = await startSampleApp(env);
        right = await startSampleApp(env, left);
      });
      afterAll(async () => {
        await right.close();
        await left.close();
      });

      it('accepts one of 40 parallel submissions of one solved challenge spread over both instances', async () => {
        const email = `pow-${randomUUID().slice(0, 8)}@example.com`;
        const http = (app: RunningSampleApp) => request(app.app.getHttpServer());
        expect(
          (await http(left).post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'P' })).status,
        ).toBe(201);
        const token = (await http(left).post('/api/v1/auth/login').send({ email, password: PASSWORD })).body
          .accessToken as string;
        const auth = { Authorization: `Bearer ${token}` };
        const orders = await Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            const res = await http(i % 2 ? right : left)
              .post('/api/v1/orders')
              .set(auth)
              .send({ items: [{ sku: 'sku-1', quantity: 1 }] });
            expect(res.status).toBe(201);
            return res.body.id as string;
          }),
        );
        const issued = (await http(right).get('/api/v1/checkout/challenge').set(auth)).body as {
          challenge: string;
          difficulty: number;
        };
        const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
        const results = await Promise.all(
          orders.map((orderId, i) =>
            http(i % 2 ? left : right)
              .post('/api/v1/checkout')
              .set(auth)
              .send({ orderId, challenge: issued.challenge, nonce }),
          ),
        );
        expect(results.filter((r) => r.status === 201)).toHaveLength(1);
        const replays = results.filter((r) => r.status !== 201);
        expect(replays).toHaveLength(39);
        for (const res of replays) expectProblem(res, 409, ErrorCode.CHALLENGE_REUSED);
      });
    });
  });
}

describeWithServices('two sample-api instances', ['redis', 'postgres'], () => describeTwoInstances('Redis', {}));

describeWithServices('two sample-api instances on Redis Cluster', ['postgres'], () =>
  // The same suite with REDIS_CLUSTER_NODES instead of REDIS_URL: the library's keys keep each
  // multi-key script in one slot, and the two instances still behave as one.
  describeWithRedisCluster('two sample-api instances on Redis Cluster', (nodes) =>
    describeTwoInstances('Redis Cluster', { REDIS_CLUSTER_NODES: nodes.join(','), REDIS_URL: undefined }),
  ),
);
