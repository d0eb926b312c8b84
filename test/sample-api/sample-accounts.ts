import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { RunningSampleApp } from './sample-app';

/** The password every test account registers with (long enough for the sample's password policy). */
export const PASSWORD = 'correct horse battery staple';

/** A registered, logged-in account of the sample app. */
export interface Account {
  id: string;
  email: string;
  token: string;
}

/**
 * `login` and `account` against the sample app: each account is a fresh user, so tests never share
 * one (user A and user B of an ownership case are two calls).
 */
export function sampleAccounts(sample: () => RunningSampleApp): {
  login(email: string, password?: string): Promise<string>;
  account(tag: string): Promise<Account>;
} {
  const http = () => request(sample().app.getHttpServer());
  async function login(email: string, password = PASSWORD): Promise<string> {
    const res = await http().post('/api/v1/auth/login').send({ email, password });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  }
  async function account(tag: string): Promise<Account> {
    const email = `${tag}-${randomUUID().slice(0, 8)}@example.com`;
    const res = await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: tag });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, email, token: await login(email) };
  }
  return { login, account };
}
