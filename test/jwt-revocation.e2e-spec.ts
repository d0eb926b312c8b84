import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RevocationService, TokenService } from '@api-security/nestjs';
import { jwtAppMetadata, serverConfig } from './fixtures/jwt.fixture';
import { createApp } from './utils/create-app';
import { describeWithServices } from './support/services';

const PROBE = '/api/probe/me';

describeWithServices('access-token revocation over Redis', ['redis'], ({ redis: url }) => {
  describe('access-token revocation across two instances sharing Redis', () => {
    // One key and one key prefix for both instances (as behind a load balancer), fresh per run.
    const config = serverConfig('ES256');
    const keyPrefix = `jwt-e2e-${randomUUID()}:`;
    let first: INestApplication;
    let second: INestApplication;
    const probe = (app: INestApplication, token: string) =>
      request(app.getHttpServer()).get(PROBE).set('Authorization', `Bearer ${token}`);

    beforeAll(async () => {
      first = await createApp('express', jwtAppMetadata(config.jwt, { type: 'redis', url, keyPrefix }));
      second = await createApp('fastify', jwtAppMetadata(config.jwt, { type: 'redis', url, keyPrefix }));
    });
    afterAll(async () => {
      await first?.close();
      await second?.close();
    });

    it('a token issued by one instance works on the other', async () => {
      const { token } = await first.get(TokenService).issueAccessToken({ sub: `user-${randomUUID()}`, role: 'user' });
      expect((await probe(first, token)).status).toBe(200);
      expect((await probe(second, token)).status).toBe(200);
    });

    it('a jti revoked through instance 1 is refused by instance 2, even though instance 2 had verified it', async () => {
      const sub = `user-${randomUUID()}`;
      const issued = await first.get(TokenService).issueAccessToken({ sub, role: 'user' });
      expect((await probe(second, issued.token)).status).toBe(200);
      await first.get(RevocationService).revokeToken(sub, issued.jti, issued.expiresAt);
      const res = await probe(second, issued.token);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect((await probe(first, issued.token)).status).toBe(401);
    });

    it('revokeAllForUser through instance 2 ends older tokens on instance 1; newer ones work everywhere', async () => {
      const sub = `user-${randomUUID()}`;
      const older = await first.get(TokenService).issueAccessToken({ sub, role: 'user' });
      expect((await probe(first, older.token)).status).toBe(200);
      await second.get(RevocationService).revokeAllForUser(sub);
      expect((await probe(first, older.token)).status).toBe(401);
      expect((await probe(second, older.token)).status).toBe(401);
      const newer = await first.get(TokenService).issueAccessToken({ sub, role: 'user' });
      expect((await probe(second, newer.token)).status).toBe(200);
      expect((await probe(first, newer.token)).status).toBe(200);
    });
  });
});
