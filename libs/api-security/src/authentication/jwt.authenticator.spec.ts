import { DpopNonceService } from './dpop-nonce.service';
import { DpopProofVerifier } from './dpop-proof.verifier';
import { Logger } from '@nestjs/common';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { resolveApiSecurityOptions } from '../api-security.options';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { UnauthenticatedException } from '../errors/security.exception';
import { MemorySecurityStore } from '../store/memory.store';
import { StoreUnavailableError } from '../store/store-unavailable.error';
import { JwtAuthenticator } from './jwt.authenticator';
import { JwtKeyService } from './jwt-key.service';
import { JwtVerifier } from './jwt.verifier';
import { RevocationService } from './revocation.service';
import type { SecurityRequest } from '../common/security-principal';
import { TokenService } from './token.service';

const silent = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };

async function setup() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const options = resolveApiSecurityOptions({
    production: false,
    jwt: { algorithm: 'ES256', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
  });
  const keys = await JwtKeyService.load(options, silent);
  const store = new MemorySecurityStore();
  const events: SecurityEvent[] = [];
  const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
  const verifier = new JwtVerifier(keys, options);
  const revocation = new RevocationService(store, bus, options);
  const dpop = new DpopProofVerifier(options, store, new DpopNonceService(options), bus);
  const authenticator = new JwtAuthenticator(verifier, revocation, bus, dpop);
  const tokens = new TokenService(keys, store, options);
  // Asked once per signature verification (never on a cache hit).
  const verifications = jest.spyOn(keys, 'verificationKey');
  return { authenticator, verifier, revocation, dpop, tokens, events, store, verifications };
}

function requestWith(authorization?: string | string[]): SecurityRequest {
  const request: SecurityRequest & { requestId: string } = {
    headers: authorization === undefined ? {} : { authorization },
    method: 'GET',
    url: '/api/probe/me?x=1',
    ip: '203.0.113.9',
    requestId: 'req-1',
  };
  return request;
}

async function refusal(promise: Promise<unknown>): Promise<UnauthenticatedException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedException);
  return error as UnauthenticatedException;
}

describe('JwtAuthenticator', () => {
  afterEach(() => jest.restoreAllMocks());

  it('is not concerned by a request without an Authorization header', async () => {
    const { authenticator, events } = await setup();
    expect(await authenticator.authenticate(requestWith())).toBeNull();
    expect(events).toEqual([]);
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer a b'], [['Bearer a.b.c', 'Bearer d.e.f']]])(
    'answers invalid_request to %p',
    async (header) => {
      const { authenticator, events } = await setup();
      const error = await refusal(authenticator.authenticate(requestWith(header)));
      expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_request"' });
      expect(events.at(-1)).toMatchObject({ type: 'authentication.failure', reason: 'malformed_header' });
    },
  );

  it('reads the bearer scheme as RFC 6750 writes it: any case, exactly one space, nothing around the token', async () => {
    const { authenticator, tokens, events } = await setup();
    const { token } = await tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect(await authenticator.authenticate(requestWith(`${scheme} ${token}`))).toMatchObject({ id: 'u1' });
    }
    for (const header of [
      `Bearer  ${token}`,
      `Bearer ${token} `,
      `Bearer\t${token}`,
      ` Bearer ${token}`,
      `Bearer ${token}\t`,
    ]) {
      const error = await refusal(authenticator.authenticate(requestWith(header)));
      expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_request"' });
      expect(events.at(-1)).toMatchObject({ type: 'authentication.failure', reason: 'malformed_header' });
    }
  });

  it("answers every spelling of a verified token's header as it answers it before any verification", async () => {
    const cold = await setup();
    const { token } = await cold.tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    const warm = {
      ...cold,
      authenticator: new JwtAuthenticator(
        cold.verifier,
        cold.revocation,
        { emit: () => undefined } as unknown as SecurityEventBus,
        cold.dpop,
      ),
    };
    const headers = [
      `Bearer ${token}`,
      `bearer ${token}`,
      `Bearer  ${token}`,
      `Bearer ${token} `,
      `Bearer ${token}\u0000`,
      `Bearer ${token}.`,
      `Bearer\t${token}`,
      `Bearer ${token.slice(1)}`,
      `DPoP ${token}`,
      `Bearer ${token},Bearer ${token}`,
    ];
    const outcome = async (authenticator: JwtAuthenticator, header: string) =>
      authenticator.authenticate(requestWith(header)).then(
        (principal) => ({ id: principal?.id }),
        (error: unknown) => ({ error: String(error), headers: (error as { headers?: unknown }).headers }),
      );
    // Read by the pattern: none of these is `Bearer ` and a verified token (the first verifies it).
    const expected = [];
    for (const header of headers.slice(1)) expected.push(await outcome(cold.authenticator, header));
    expect(await outcome(warm.authenticator, headers[0])).toEqual({ id: 'u1' });
    expect(cold.verifier.cachedJws(token)).toMatchObject({ id: 'u1' });
    // The exact `Bearer <token>` of a verified token takes the short way; nothing else may answer differently.
    const actual = [];
    for (const header of headers.slice(1)) actual.push(await outcome(warm.authenticator, header));
    expect(actual).toEqual(expected);
    expect(actual.filter((answer) => 'id' in answer && answer.id === 'u1')).toHaveLength(1);
  });

  it('authenticates a valid token and reports a failure without the token', async () => {
    const { authenticator, tokens, events } = await setup();
    const { token, jti } = await tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    const principal = await authenticator.authenticate(requestWith(`Bearer ${token}`));
    expect(principal).toMatchObject({ id: 'u1', roles: ['user'], authMethod: 'jwt', tokenId: jti });

    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${'A'.repeat(86)}`;
    const error = await refusal(authenticator.authenticate(requestWith(`Bearer ${forged}`)));
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    expect(error.reason).toContain('bad_signature');
    expect(error.reason).not.toContain(forged);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'authentication.failure',
        reason: 'bad_signature',
        requestId: 'req-1',
        ip: '203.0.113.9',
        route: 'GET /api/probe/me',
        details: { authMethod: 'jwt' },
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain(p);
  });

  it('verifies a token once, but checks revocation on every request', async () => {
    const { authenticator, revocation, tokens, verifications: verify } = await setup();
    const isRevoked = jest.spyOn(revocation, 'isRevoked');
    const { token, jti, expiresAt } = await tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    for (let i = 0; i < 3; i++) expect(await authenticator.authenticate(requestWith(`Bearer ${token}`))).not.toBeNull();
    expect(verify).toHaveBeenCalledTimes(1);
    expect(isRevoked).toHaveBeenCalledTimes(3);

    await revocation.revokeToken('u1', jti, expiresAt);
    const error = await refusal(authenticator.authenticate(requestWith(`Bearer ${token}`)));
    expect(error.reason).toContain('revoked');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('never uses a cached verification at or after exp', async () => {
    const { authenticator, tokens, verifications: verify } = await setup();
    const { token, expiresAt } = await tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    await authenticator.authenticate(requestWith(`Bearer ${token}`));
    // Past exp plus the tolerance: the verifier runs again and refuses.
    jest.spyOn(Date, 'now').mockReturnValue((expiresAt + 10) * 1000);
    const error = await refusal(authenticator.authenticate(requestWith(`Bearer ${token}`)));
    expect(error.reason).toContain('expired');
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('does not cache refusals', async () => {
    const { authenticator, tokens, verifications: verify } = await setup();
    const { token } = await tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    for (let i = 0; i < 2; i++) await refusal(authenticator.authenticate(requestWith(`Bearer ${forged}`)));
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('refuses an oversized header before verifying anything', async () => {
    const { authenticator, verifications: verify, events } = await setup();
    await refusal(authenticator.authenticate(requestWith(`Bearer ${'a'.repeat(20_000)}`)));
    await refusal(authenticator.authenticate(requestWith(`Bearer ${'a'.repeat(8 * 1024 + 1)}`)));
    expect(verify).not.toHaveBeenCalled();
    expect(events.map((e) => e.reason)).toEqual(['too_large', 'too_large']);
  });

  it('lets a store outage through as such (503), never as a pass', async () => {
    const { authenticator, revocation, tokens } = await setup();
    const { token } = await tokens.issueAccessToken({ sub: `u-${randomUUID()}`, role: 'user' });
    jest.spyOn(revocation, 'isRevoked').mockRejectedValue(new StoreUnavailableError());
    await expect(authenticator.authenticate(requestWith(`Bearer ${token}`))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('reports an unexpected verifier error as a refusal, not a crash', async () => {
    const { authenticator, verifications, tokens } = await setup();
    const { token } = await tokens.issueAccessToken({ sub: 'u1', role: 'user' });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    verifications.mockImplementation(() => {
      throw new Error('boom');
    });
    const error = await refusal(authenticator.authenticate(requestWith(`Bearer ${token}`)));
    expect(error.reason).toContain('invalid');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).not.toContain(token);
  });
});
