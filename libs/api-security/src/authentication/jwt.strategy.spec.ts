import { DpopNonceService } from './dpop-nonce.service';
import { DpopProofVerifier } from './dpop-proof.verifier';
import { UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { resolveApiSecurityOptions, type JwtAlgorithm } from '../api-security.options';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { UnauthenticatedException } from '../errors/security.exception';
import { MemorySecurityStore } from '../store/memory.store';
import { StoreUnavailableError } from '../store/store-unavailable.error';
import { accessTokenClaims, signJws, unsignedJws, type JwtMembers } from '../testing/jwt.primitives';
import { JwtKeyService } from './jwt-key.service';
import { JwtRefusal, type JwtFailureReason } from './jwt-refusal';
import { JwtAuthenticator } from './jwt.authenticator';
import { JWT_STRATEGY_NAME, JwtStrategy } from './jwt.strategy';
import { JwtVerifier } from './jwt.verifier';
import { RevocationService } from './revocation.service';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'unit-tests';
const silent = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };
const now = () => Math.floor(Date.now() / 1000);

interface Server {
  algorithm: JwtAlgorithm;
  keys: JwtKeyService;
  signingKey: KeyObject | Uint8Array;
  /** The public key as PEM bytes: what a key-confusion attack uses as an HMAC secret. */
  publicPem: Uint8Array;
  revocation: RevocationService;
  events: SecurityEvent[];
  /** The security guard's path. */
  authenticator: JwtAuthenticator;
  /** The Passport path; its own verifier, so neither path profits from the other's cache. */
  strategy: () => JwtStrategy;
}

async function server(algorithm: JwtAlgorithm): Promise<Server> {
  const common = { issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5 };
  let signingKey: KeyObject | Uint8Array;
  let publicPem = new Uint8Array();
  let jwt;
  if (algorithm === 'HS256') {
    const secret = 'k'.repeat(48);
    jwt = { algorithm, secret, ...common };
    signingKey = new TextEncoder().encode(secret);
  } else {
    const { privateKey } =
      algorithm === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : algorithm === 'RS256'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ed25519');
    jwt = { algorithm, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ...common };
    signingKey = privateKey;
    publicPem = new TextEncoder().encode(
      createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    );
  }
  const options = resolveApiSecurityOptions({ jwt, production: false });
  const keys = await JwtKeyService.load(options, silent);
  const events: SecurityEvent[] = [];
  const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
  const store = new MemorySecurityStore();
  const revocation = new RevocationService(store, bus, options);
  const dpop = new DpopProofVerifier(options, store, new DpopNonceService(options), bus);
  const authenticator = new JwtAuthenticator(new JwtVerifier(keys, options), revocation, bus, dpop);
  const passportVerifier = new JwtVerifier(keys, options);
  // Constructing registers the strategy in Passport's process-wide registry under its name, so
  // the last one built is the one `AuthGuard(JWT_STRATEGY_NAME)` runs.
  const strategy = () => new JwtStrategy(passportVerifier, revocation, bus);
  return { algorithm, keys, signingKey, publicPem, revocation, events, authenticator, strategy };
}

function sign(s: Server, claims: JwtMembers = {}, header: JwtMembers = {}): Promise<string> {
  return signJws(
    { alg: s.algorithm, typ: 'at+jwt', kid: s.keys.signingKid, ...header },
    accessTokenClaims(ISSUER, AUDIENCE, { sub: 'u1', ...claims }),
    s.signingKey,
  );
}

const request = (authorization?: string): SecurityRequest => ({
  headers: authorization === undefined ? {} : { authorization },
  method: 'GET',
  url: '/probe',
  ip: '203.0.113.9',
});

type Outcome = { accepted: SecurityPrincipal } | { refused: JwtFailureReason };

/** What the security guard's path answers, and the reason of its `authentication.failure` event. */
async function viaGuard(s: Server, authorization: string): Promise<Outcome> {
  try {
    const principal = await s.authenticator.authenticate(request(authorization));
    if (principal === null) throw new Error('no principal and no refusal');
    return { accepted: principal };
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthenticatedException);
    return { refused: s.events.at(-1)?.reason as JwtFailureReason };
  }
}

/** An application's own guard over the strategy, surfacing Passport's `info` (the typed refusal). */
class InfoGuard extends AuthGuard(JWT_STRATEGY_NAME) {
  override handleRequest<TUser>(error: unknown, user: TUser | false, info: unknown): TUser {
    if (error) throw error;
    if (!user) throw info;
    return user;
  }
}

function contextOf(req: SecurityRequest): ExecutionContext {
  const http = { getRequest: () => req, getResponse: () => ({}), getNext: () => undefined };
  return { switchToHttp: () => http, getType: () => 'http' } as unknown as ExecutionContext;
}

/** What `AuthGuard(JWT_STRATEGY_NAME)` answers; the refusal's reason must match its event's. */
async function viaAuthGuard(s: Server, authorization: string, guard = new InfoGuard()): Promise<Outcome> {
  s.strategy();
  const req = request(authorization);
  const before = s.events.length;
  try {
    await guard.canActivate(contextOf(req));
    return { accepted: req.user as SecurityPrincipal };
  } catch (error) {
    expect(error).toBeInstanceOf(JwtRefusal);
    const { reason } = error as JwtRefusal;
    expect(s.events.slice(before)).toEqual([expect.objectContaining({ type: 'authentication.failure', reason })]);
    return { refused: reason };
  }
}

interface Case {
  name: string;
  expected: JwtFailureReason | 'accepted';
  algorithms?: readonly JwtAlgorithm[];
  token: (s: Server) => Promise<string>;
}

const ASYMMETRIC: readonly JwtAlgorithm[] = ['ES256', 'RS256', 'EdDSA'];

const CASES: readonly Case[] = [
  { name: 'a valid token', expected: 'accepted', token: (s) => sign(s) },
  { name: 'an expired token', expected: 'expired', token: (s) => sign(s, { iat: now() - 600, exp: now() - 60 }) },
  { name: 'nbf in the future', expected: 'not_yet_valid', token: (s) => sign(s, { nbf: now() + 600 }) },
  {
    name: 'alg none',
    expected: 'alg_not_allowed',
    token: async () => unsignedJws('none', accessTokenClaims(ISSUER, AUDIENCE, { sub: 'u1' })),
  },
  {
    name: 'HS256 signed with the public key as secret',
    expected: 'alg_not_allowed',
    algorithms: ASYMMETRIC,
    token: (s) =>
      signJws(
        { alg: 'HS256', typ: 'at+jwt', kid: s.keys.signingKid },
        accessTokenClaims(ISSUER, AUDIENCE, { sub: 'u1' }),
        s.publicPem,
      ),
  },
  {
    name: 'a bad signature',
    expected: 'bad_signature',
    token: async (s) => {
      const token = await sign(s);
      const [h, , sig] = token.split('.');
      const other = (await sign(s, { sub: 'admin' })).split('.')[1];
      return `${h}.${other}.${sig}`;
    },
  },
  { name: 'a wrong iss', expected: 'wrong_issuer', token: (s) => sign(s, { iss: 'https://evil.example' }) },
  { name: 'a wrong aud', expected: 'wrong_audience', token: (s) => sign(s, { aud: 'another-api' }) },
  { name: 'wrong typ', expected: 'wrong_typ', token: (s) => sign(s, {}, { typ: 'JWT' }) },
  { name: 'crit', expected: 'forbidden_header', token: (s) => sign(s, {}, { crit: ['b64'], b64: true }) },
  { name: 'a missing jti', expected: 'invalid_claims', token: (s) => sign(s, { jti: undefined }) },
  {
    name: 'a revoked jti',
    expected: 'revoked',
    token: async (s) => {
      const jti = randomUUID();
      const token = await sign(s, { jti });
      await s.revocation.revokeToken('u1', jti, now() + 300);
      return token;
    },
  },
  {
    name: 'an unknown kid',
    expected: 'unknown_kid',
    algorithms: ASYMMETRIC,
    token: (s) => sign(s, {}, { kid: 'no-such-key' }),
  },
  { name: 'a kid on HS256', expected: 'unknown_kid', algorithms: ['HS256'], token: (s) => sign(s, {}, { kid: 'x' }) },
];

describe.each<JwtAlgorithm>(['ES256', 'RS256', 'EdDSA', 'HS256'])(
  'the security guard and AuthGuard(JWT_STRATEGY_NAME) agree (%s)',
  (algorithm) => {
    let s: Server;
    beforeAll(async () => {
      s = await server(algorithm);
    });

    it.each(CASES.filter((c) => c.algorithms === undefined || c.algorithms.includes(algorithm)))(
      '$name: $expected',
      async ({ token, expected }) => {
        const authorization = `Bearer ${await token(s)}`;
        const guard = await viaGuard(s, authorization);
        const passport = await viaAuthGuard(s, authorization);
        expect(passport).toEqual(guard);
        expect('accepted' in guard ? 'accepted' : guard.refused).toBe(expected);
        if ('accepted' in passport) expect(passport.accepted).toMatchObject({ id: 'u1', authMethod: 'jwt' });
      },
    );

    it.each([
      ['two spaces', (t: string) => `Bearer  ${t}`, 'malformed_header'],
      ['a trailing space', (t: string) => `Bearer ${t} `, 'malformed_header'],
      ['another scheme', (t: string) => `Basic ${t}`, 'malformed_header'],
      ['lower-case scheme', (t: string) => `bearer ${t}`, 'accepted'],
      ['an oversized header', () => `Bearer ${'a'.repeat(20_000)}`, 'too_large'],
    ])('reads the header the same way: %s', async (_name, header, expected) => {
      const authorization = header(await sign(s));
      const guard = await viaGuard(s, authorization);
      expect(await viaAuthGuard(s, authorization)).toEqual(guard);
      expect('accepted' in guard ? 'accepted' : guard.refused).toBe(expected);
    });
  },
);

describe('JwtStrategy', () => {
  let s: Server;
  beforeAll(async () => {
    s = await server('ES256');
  });
  afterEach(() => jest.restoreAllMocks());

  it('reads the Authorization header only (never query or body)', async () => {
    const token = await sign(s);
    s.strategy();
    const req = { ...request(), query: { access_token: token }, body: { access_token: token } };
    await expect(new InfoGuard().canActivate(contextOf(req))).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('gives the default AuthGuard a 401 for a refusal', async () => {
    const guard = new (AuthGuard(JWT_STRATEGY_NAME))();
    s.strategy();
    await expect(guard.canActivate(contextOf(request(`Bearer ${await sign(s, { aud: 'x' })}`)))).rejects.toBeInstanceOf(
      UnauthorizedException,
    );
  });

  it('fails the request when the revocation store cannot answer, never passes it', async () => {
    jest.spyOn(s.revocation, 'isRevoked').mockRejectedValue(new StoreUnavailableError());
    const guard = new (AuthGuard(JWT_STRATEGY_NAME))();
    s.strategy();
    await expect(guard.canActivate(contextOf(request(`Bearer ${await sign(s)}`)))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('refuses a DPoP-bound token as Bearer, like the guard (it reads no proof: a downgrade, RFC 9449 §7.2)', async () => {
    const token = await sign(s, { cnf: { jkt: 'A'.repeat(43) } });
    s.strategy();
    const before = s.events.length;
    await expect(new InfoGuard().canActivate(contextOf(request(`Bearer ${token}`)))).rejects.toMatchObject({
      reason: 'dpop_bound_token_as_bearer',
    });
    expect(s.events.slice(before)).toEqual([
      expect.objectContaining({ type: 'authentication.failure', reason: 'dpop_bound_token_as_bearer' }),
    ]);
    await expect(s.strategy().validate(token)).rejects.toMatchObject({ reason: 'dpop_bound_token_as_bearer' });
    await expect(s.authenticator.authenticate(request(`Bearer ${token}`))).rejects.toMatchObject({ status: 401 });
    expect(s.events.at(-1)).toMatchObject({ reason: 'dpop_bound_token_as_bearer' });
  });

  it('validate(token) runs the same checks, revocation included', async () => {
    const strategy = s.strategy();
    const jti = randomUUID();
    const token = await sign(s, { jti });
    await expect(strategy.validate(token)).resolves.toMatchObject({ id: 'u1', tokenId: jti });
    await s.revocation.revokeToken('u1', jti, now() + 300);
    await expect(strategy.validate(token)).rejects.toMatchObject({ reason: 'revoked' });
  });
});
