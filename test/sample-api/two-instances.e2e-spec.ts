import { generateKeyPairSync, randomUUID } from 'node:crypto';
import request from 'supertest';
import { startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';

/**
 * Two instances behind a load balancer must behave as one: state made on one is seen by the other.
 * Needs a shared database and shared Redis, which .ci/run provides.
 */
if (process.env.REDIS_URL && process.env.DATABASE_URL) {
  describe('two sample-api instances sharing Redis and PostgreSQL', () => {
    let one: RunningSampleApp;
    let two: RunningSampleApp;

    beforeAll(async () => {
      // Instances behind one load balancer share the signing key, as they would in production.
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const env = {
        LOGIN_MAX_FAILURES: '3',
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
  });
} else {
  describe('two sample-api instances', () => {
    it('needs REDIS_URL and DATABASE_URL (.ci/run sets both)', () => {
      expect(Boolean(process.env.REDIS_URL && process.env.DATABASE_URL)).toBe(false);
    });
  });
}
