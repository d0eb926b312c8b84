import { Logger, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { LEAKED_HASH, LEAKED_KEY, TripwireController } from './fixtures/credential-tripwire.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

/** What the module logs (warn and error), as text. */
function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const keep = (message: unknown) => {
    lines.push(String(message));
  };
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(keep);
  const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(keep);
  return {
    lines,
    restore: () => {
      warn.mockRestore();
      error.mockRestore();
    },
  };
}

describe.each(ADAPTERS)('credential tripwire over HTTP (%s)', (kind) => {
  describe('strict audit mode (default)', () => {
    let app: INestApplication;
    let logs: ReturnType<typeof captureLogs>;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      logs = captureLogs();
      app = await createApp(kind, { imports: [ApiSecurityModule.forRoot({})], controllers: [TripwireController] });
    });
    afterAll(async () => {
      await app.close();
      logs.restore();
    });

    it.each([
      ['/api/v1/tripwire/row', 'passwordHash'],
      ['/api/v1/tripwire/page', 'api_key'],
      ['/api/v1/tripwire/nested', 'resetToken'],
    ])('refuses %s with a 500 problem that names nothing secret, and logs the route', async (path, field) => {
      const res = await http().get(path);
      const body = expectProblem(res, 500, ErrorCode.RESPONSE_CREDENTIAL);
      expect(res.text).not.toContain(LEAKED_HASH);
      expect(res.text).not.toContain(LEAKED_KEY);
      expect(res.text).not.toContain('rt_nested');
      expect(JSON.stringify(body)).not.toContain(field);
      expect(logs.lines.some((line) => line.includes('TripwireController.') && line.includes(`"${field}"`))).toBe(true);
    });

    it('sends credential fields a response class declares visible (the token pair)', async () => {
      const res = await http().get('/api/v1/tripwire/declared');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: 'at', refreshToken: 'rt', tokenType: 'Bearer', expiresIn: 900 });
    });

    it('leaves ordinary fields that only look close alone', async () => {
      const res = await http().get('/api/v1/tripwire/clean');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: 'u1', tokenType: 'Bearer', accountHash: 'pseudonym' });
    });

    it('sends an undecorated class instance as {} and warns once, naming the class and the route', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await http().get('/api/v1/tripwire/undecorated');
        expect(res.status).toBe(200);
        expect(res.body).toEqual({});
      }
      const warnings = logs.lines.filter((line) => line.includes('Undecorated has no @VisibleTo'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('TripwireController.undecorated');
    });
  });

  describe('warn audit mode', () => {
    let app: INestApplication;
    let logs: ReturnType<typeof captureLogs>;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      logs = captureLogs();
      app = await createApp(kind, {
        imports: [ApiSecurityModule.forRoot({ audit: { mode: 'warn' } })],
        controllers: [TripwireController],
      });
    });
    afterAll(async () => {
      await app.close();
      logs.restore();
    });

    it('removes the credential fields and keeps the rest', async () => {
      const row = await http().get('/api/v1/tripwire/row');
      expect(row.status).toBe(200);
      expect(row.body).toEqual({ id: 'u1', email: 'a@example.com' });
      const page = await http().get('/api/v1/tripwire/page');
      expect(page.body).toEqual({
        items: [
          { id: 'k1', name: 'ci' },
          { id: 'k2', name: 'ops' },
        ],
        total: 2,
      });
      const nested = await http().get('/api/v1/tripwire/nested');
      expect(nested.body).toEqual({ id: 'u1', settings: { theme: 'dark' } });
    });

    it('warns once per route and field', async () => {
      await http().get('/api/v1/tripwire/row');
      await http().get('/api/v1/tripwire/row');
      const warnings = logs.lines.filter((line) => line.includes('TripwireController.row'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('"passwordHash"');
      expect(warnings[0]).not.toContain(LEAKED_HASH);
    });
  });

  it('uses the configured names instead of the defaults', async () => {
    const app = await createApp(kind, {
      imports: [
        ApiSecurityModule.forRoot({
          credentialFields: { names: ['email'], allow: [] },
        }),
      ],
      controllers: [TripwireController],
    });
    const logs = captureLogs();
    try {
      const row = await request(app.getHttpServer()).get('/api/v1/tripwire/row');
      expectProblem(row, 500, ErrorCode.RESPONSE_CREDENTIAL);
      expect(logs.lines.some((line) => line.includes('"email"'))).toBe(true);
      const page = await request(app.getHttpServer()).get('/api/v1/tripwire/page');
      expect(page.status).toBe(200);
    } finally {
      logs.restore();
      await app.close();
    }
  });
});
