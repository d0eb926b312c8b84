import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { CredentialsController } from './fixtures/credentials.fixture';
import { StaticTokenAuthenticator } from './fixtures/foundation.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

const USER = 'Bearer user-a';
const GOOD = { email: 'ann@example.com', password: 'correct horse battery staple', name: 'Ann' };

interface FieldError {
  field: string;
  message: string;
}

function errorsOf(res: request.Response): FieldError[] {
  return (JSON.parse(res.text) as { errors?: FieldError[] }).errors ?? [];
}

describe.each(ADAPTERS)('credential and identity validators over HTTP (%s)', (kind) => {
  let app: INestApplication;
  let controller: CredentialsController;
  const http = () => request(app.getHttpServer());
  const signUp = (body: Record<string, unknown>) => http().post('/api/credentials/sign-up').send(body);

  /** A 400 validation problem whose only errors name `field`; nothing reached the handler. */
  function expectRefused(res: request.Response, field: string, message: RegExp): void {
    expectProblem(res, 400, ErrorCode.VALIDATION);
    const errors = errorsOf(res);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.field).toBe(field);
    expect(errors.map((e) => e.message).join('\n')).toMatch(message);
    expect(controller.received).toEqual([]);
  }

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [ApiSecurityModule.forRoot({ authenticators: [StaticTokenAuthenticator] })],
      controllers: [CredentialsController],
    });
    controller = app.get(CredentialsController);
  });
  beforeEach(() => {
    controller.received.length = 0;
  });
  afterAll(() => app.close());

  it('accepts good credentials and hands the handler the normalised email and trimmed name', async () => {
    const res = await signUp({ ...GOOD, email: ' ＡＮＮ＠Example.COM ', name: '  Ann Lee \u3000' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ email: 'ann@example.com', name: 'Ann Lee' });
    expect(controller.received).toEqual([{ ...GOOD, name: 'Ann Lee' }]);
  });

  it.each([
    ['one repeated character', 'aaaaaaaaaaaa', /repeated/],
    ['a common password', 'password1234', /too common/],
    ['a common password in capitals', 'PASSWORD1234', /too common/],
    ['twelve spaces', ' '.repeat(12), /spaces/],
    ['11 characters', 'abcdefghijk', /at least 12/],
    ['129 characters', `${'correct horse battery staple '.repeat(4)}abcdefghijklm`, /at most 128/],
  ])('refuses %s as a password with 400 naming the field', async (_, password, message) => {
    expectRefused(await signUp({ ...GOOD, password }), 'password', message);
  });

  it('accepts 12 and 128 characters', async () => {
    expect((await signUp({ ...GOOD, password: 'ahovcjqxelsz' })).status).toBe(201);
    expect((await signUp({ ...GOOD, password: 'ahovcjqxels' })).status).toBe(400);
    const long = `${'correct horse battery staple '.repeat(4)}abcdefghijkl`;
    expect([...long]).toHaveLength(128);
    expect((await signUp({ ...GOOD, password: long })).status).toBe(201);
  });

  it.each([
    ['a zero-width space', 'ad\u200bmin@example.com', /invisible/],
    ['a right-to-left override', 'admin\u202e@example.com', /invisible/],
    ['a Cyrillic а among Latin letters', 'p\u0430ypal@example.com', /scripts/],
    ['no address at all', 'admin', /valid email/],
  ])('refuses an email with %s', async (_, email, message) => {
    expectRefused(await signUp({ ...GOOD, email }), 'email', message);
  });

  it.each(['', '   ', '\u3000', '\u200b'])('refuses the blank name %j', async (name) => {
    expectRefused(await signUp({ ...GOOD, name }), 'name', /empty|invisible/);
  });

  it('checks a renamed profile the same way, after trimming', async () => {
    const rename = (name: unknown) =>
      http().patch('/api/credentials/profile').set('Authorization', USER).send({ name });
    const trimmed = await rename('  Bea  ');
    expect(trimmed.status).toBe(200);
    expect(trimmed.body).toEqual({ name: 'Bea' });
    controller.received.length = 0;
    expectRefused(await rename('    '), 'name', /empty/);
    expectRefused(await rename('x'.repeat(31)), 'name', /at most 30/);
    expectRefused(await rename('Bea\u202e'), 'name', /invisible/);
  });

  it('applies the password policy to a new password, not to the current one', async () => {
    const change = (body: Record<string, unknown>) =>
      http().post('/api/credentials/password').set('Authorization', USER).send(body);
    expect((await change({ currentPassword: 'short', newPassword: 'a fresh passphrase' })).status).toBe(204);
    controller.received.length = 0;
    expectRefused(await change({ currentPassword: 'short', newPassword: 'password1234' }), 'newPassword', /too common/);
  });
});
