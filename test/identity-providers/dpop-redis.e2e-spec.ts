import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { DPOP_ATTACKS, DpopKey, probeDpop, TokenForge } from '@api-security/nestjs/testing';
import { serverConfig } from '../fixtures/jwt.fixture';
import { createApp } from '../utils/create-app';
import { expectProblem } from '../utils/problem';
import { describeWithServices } from '../support/services';
import { DPOP_HOST, DPOP_ORIGIN, dpopAppMetadata, dpopClient } from './dpop.fixture';

const ONLY = '/api/dpop/only';

describeWithServices('DPoP proofs across two instances sharing Redis', ['redis'], ({ redis: url }) => {
  // One signing key, one key prefix and one DPoP configuration for both instances (as behind a
  // load balancer): Express and Fastify, fresh per run so parallel runs do not collide.
  const config = serverConfig('ES256');
  const keyPrefix = `dpop-e2e-${randomUUID()}:`;
  const store = { type: 'redis', url, keyPrefix } as const;
  let first: INestApplication;
  let second: INestApplication;
  let forge: TokenForge;
  let key: DpopKey;
  const get = (app: INestApplication, headers: Record<string, string>) =>
    request(app.getHttpServer()).get(ONLY).set('Host', DPOP_HOST).set(headers);
  const proof = (token: string, nonce?: string) =>
    key.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ONLY}`, accessToken: token, ...(nonce ? { nonce } : {}) });

  beforeAll(async () => {
    ({ forge, key } = await dpopClient(config.signingKey));
    first = await createApp('express', dpopAppMetadata(config.jwt, { nonce: true }, store));
    second = await createApp('fastify', dpopAppMetadata(config.jwt, { nonce: true }, store));
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
  });

  /** A nonce, as a client gets it: from the 401 `use_dpop_nonce` of an instance. */
  async function nonceFrom(app: INestApplication): Promise<string> {
    const token = await forge.dpopBoundToken(key);
    const res = await get(app, { Authorization: `DPoP ${token}`, DPoP: await proof(token) });
    expectProblem(res, 401, ErrorCode.DPOP_NONCE_REQUIRED);
    return res.headers['dpop-nonce'] as string;
  }

  it('a nonce issued by one instance is accepted by the other', async () => {
    const nonce = await nonceFrom(first);
    const token = await forge.dpopBoundToken(key);
    expect((await get(second, { Authorization: `DPoP ${token}`, DPoP: await proof(token, nonce) })).status).toBe(200);
  });

  it('a proof used on one instance is refused on the other', async () => {
    const nonce = await nonceFrom(second);
    const token = await forge.dpopBoundToken(key);
    const headers = { Authorization: `DPoP ${token}`, DPoP: await proof(token, nonce) };
    expect((await get(first, headers)).status).toBe(200);
    const replay = await get(second, headers);
    expectProblem(replay, 401, ErrorCode.DPOP_PROOF_INVALID);
    expect(replay.headers['www-authenticate']).toMatch(/^DPoP error="invalid_dpop_proof", algs="/);
  });

  it('of 30 parallel replays of one proof spread over both instances, exactly one is accepted', async () => {
    const nonce = await nonceFrom(first);
    const token = await forge.dpopBoundToken(key);
    const headers = { Authorization: `DPoP ${token}`, DPoP: await proof(token, nonce) };
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(i % 2 === 0 ? first : second, headers).then((res) => res.status)),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(29);
  });

  it.each([
    ['first (Express)', () => first],
    ['second (Fastify)', () => second],
  ])('probeDpop on the %s instance: every kit attack refused', async (_name, app) => {
    // The probe learns the nonce from the first 401 use_dpop_nonce, as a client does.
    const report = await probeDpop(app(), { forge, path: ONLY, origin: DPOP_ORIGIN });
    expect(report.controlStatus).toBe(200);
    expect(report.sent).toBe(DPOP_ATTACKS.length + 3);
    expect(report.findings).toEqual([]);
  });
});
