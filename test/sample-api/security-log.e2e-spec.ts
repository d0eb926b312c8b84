import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RedactingLogger } from '@api-security/nestjs';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';
const ADMIN = { email: 'root-log@example.com', password: 'admin password for log tests' };

/** The sample app's real logger, writing into `lines` instead of stdout. */
describe(`sample-api security log (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const lines: string[] = [];
  const http = () => request(sample.app.getHttpServer());
  const events = () =>
    lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.context === 'SecurityEvent');

  async function login(email: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
    const res = await http().post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return res.body as { accessToken: string; refreshToken: string };
  }

  async function newUser(): Promise<{ email: string; accessToken: string; refreshToken: string }> {
    const email = `log-${randomUUID().slice(0, 8)}@example.com`;
    expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'L' })).status).toBe(
      201,
    );
    return { email, ...(await login(email, PASSWORD)) };
  }

  beforeAll(async () => {
    sample = await startSampleApp({ SEED_ADMIN_EMAIL: ADMIN.email, SEED_ADMIN_PASSWORD: ADMIN.password }, undefined, {
      logger: new RedactingLogger({ write: (line) => lines.push(line) }),
    });
  });
  afterAll(() => sample.close());

  it('writes every line as one JSON object', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
  });

  it('logs each security event when its action happens, and never a secret', async () => {
    const user = await newUser();
    const typeAfter = async (action: () => Promise<unknown>): Promise<string[]> => {
      const before = events().length;
      await action();
      await new Promise((resolve) => setTimeout(resolve, 20));
      return events()
        .slice(before)
        .map((e) => e.type as string);
    };

    expect(await typeAfter(() => login(user.email, PASSWORD))).toContain('authentication.success');

    const badPassword = `wrong-${randomUUID()}`;
    const victim = await newUser();
    const failures: string[] = [];
    for (let i = 0; i < 5; i++) {
      failures.push(
        ...(await typeAfter(() =>
          http().post('/api/v1/auth/login').send({ email: victim.email, password: badPassword }),
        )),
      );
    }
    expect(failures).toContain('authentication.failure');
    expect(failures).toContain('authentication.lockout');

    const forgedBearer = `${user.accessToken.slice(0, -4)}AAAA`;
    expect(
      await typeAfter(() => http().get('/api/v1/users/me').set('Authorization', `Bearer ${forgedBearer}`)),
    ).toContain('authentication.failure');

    const apiKey = `sk_live_${randomUUID().replace(/-/g, '')}`;
    expect(await typeAfter(() => http().get('/api/v1/users/me').set('X-API-Key', apiKey))).toContain(
      'authentication.failure',
    );

    expect(
      await typeAfter(() => http().get('/api/v1/admin/reports').set('Authorization', `Bearer ${user.accessToken}`)),
    ).toContain('access.denied');

    const rotated = await http().post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(rotated.status).toBe(200);
    expect(
      await typeAfter(() => http().post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken })),
    ).toContain('token.reuse');

    const other = await newUser();
    expect(
      await typeAfter(() => http().post('/api/v1/auth/logout').set('Authorization', `Bearer ${other.accessToken}`)),
    ).toContain('token.revoked');

    const admin = await login(ADMIN.email, ADMIN.password);
    const log = lines.join('\n');
    for (const secret of [
      PASSWORD,
      ADMIN.password,
      badPassword,
      user.accessToken,
      user.refreshToken,
      rotated.body.accessToken as string,
      rotated.body.refreshToken as string,
      other.accessToken,
      other.refreshToken,
      admin.accessToken,
      admin.refreshToken,
      forgedBearer,
      apiKey,
    ]) {
      expect(log).not.toContain(secret);
    }
  });

  // Security events carry no user-typed text (a login email is hashed), and a body string with a control
  // character is refused before any handler runs, so CR/LF in an email has nothing to forge here;
  // RedactingLogger's unit test proves control characters are escaped wherever they occur.
  it('refuses a login with CR/LF in the email before it is attempted, and logs neither the address nor the forged line', async () => {
    const forged = JSON.stringify({
      time: new Date().toISOString(),
      level: 'log',
      context: 'SecurityEvent',
      type: 'x',
    });
    const email = `x@example.com\r\n${forged}\n`;
    const before = lines.length;
    const res = await http().post('/api/v1/auth/login').send({ email, password: 'whatever-password' });
    expect(res.status).toBe(400);
    expect((res.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['email']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const written = lines.slice(before);
    expect(written.filter((line) => line.includes('x@example.com') || line.includes('"type":"x"'))).toEqual([]);
    for (const line of written) {
      expect(line).not.toMatch(/[\r\n]/);
      expect((JSON.parse(line) as { type?: string }).type).not.toBe('x');
    }
    expect(lines.filter((line) => line === forged)).toEqual([]);
  });
});
