import { Logger } from '@nestjs/common';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { base64url, CompactSign } from 'jose';
import {
  resolveApiSecurityOptions,
  type JwtAlgorithm,
  type JwtOptions,
  type ResolvedApiSecurityOptions,
} from '../api-security.options';
import { JwtKeyService } from './jwt-key.service';
import { MAX_ACCESS_TOKEN_LENGTH } from './bearer-token';
import { JwtRefusal, type JwtFailureReason } from './jwt-refusal';
import { JwtVerifier, resolveVerificationKey } from './jwt.verifier';
import type { SecurityPrincipal } from '../common/security-principal';

type Members = Record<string, unknown>;
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'unit-tests';
const silent = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };

function keyPair(algorithm: Exclude<JwtAlgorithm, 'HS256'>): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (algorithm === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  return generateKeyPairSync('ed25519');
}

const pem = (key: KeyObject, type: 'pkcs8' | 'spki') => key.export({ type, format: 'pem' }).toString();

interface Server {
  keys: JwtKeyService;
  verifier: JwtVerifier;
  signingKey: KeyObject | Uint8Array;
  options: ResolvedApiSecurityOptions;
}

async function server(algorithm: JwtAlgorithm, extra: Partial<JwtOptions> = {}): Promise<Server> {
  const common = { issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5, ...extra };
  let jwt: JwtOptions;
  let signingKey: KeyObject | Uint8Array;
  if (algorithm === 'HS256') {
    const secret = 'k'.repeat(48);
    jwt = { algorithm, secret, ...common };
    signingKey = new TextEncoder().encode(secret);
  } else {
    const { privateKey } = keyPair(algorithm);
    jwt = { algorithm, privateKey: pem(privateKey, 'pkcs8'), ...common };
    signingKey = privateKey;
  }
  const options = resolveApiSecurityOptions({ jwt, production: false });
  const keys = await JwtKeyService.load(options, silent);
  return { keys, verifier: new JwtVerifier(keys, options), signingKey, options };
}

function claims(overrides: Members = {}): Members {
  const now = Math.floor(Date.now() / 1000);
  const all: Members = {
    sub: 'u1',
    role: 'user',
    jti: randomUUID(),
    iat: now,
    exp: now + 60,
    iss: ISSUER,
    aud: AUDIENCE,
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete all[name];
    else all[name] = value;
  }
  return all;
}

async function sign(header: Members, payload: Members, key: KeyObject | Uint8Array): Promise<string> {
  const defined = Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined)) as { alg: string };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(defined).sign(key);
}

function signFor(s: Server, payload: Members = {}, header: Members = {}): Promise<string> {
  return sign(
    { alg: s.keys.algorithm, typ: 'at+jwt', kid: s.keys.signingKid, ...header },
    claims(payload),
    s.signingKey,
  );
}

/** The principal, or the refusal the verifier rejected with (anything else fails the test). */
function run(verifier: JwtVerifier, token: unknown): Promise<SecurityPrincipal | JwtRefusal> {
  return verifier.verify(token).catch((error: unknown) => {
    expect(error).toBeInstanceOf(JwtRefusal);
    return error as JwtRefusal;
  });
}

function reasonOf(outcome: SecurityPrincipal | JwtRefusal): JwtFailureReason | 'accepted' {
  return outcome instanceof JwtRefusal ? outcome.reason : 'accepted';
}

async function refusalReason(promise: Promise<unknown>): Promise<JwtFailureReason | 'resolved'> {
  return promise.then(
    () => 'resolved' as const,
    (error: unknown) => (error instanceof JwtRefusal ? error.reason : 'invalid'),
  );
}

describe('resolveVerificationKey', () => {
  let es: Server;
  let hs: Server;
  beforeAll(async () => {
    es = await server('ES256');
    hs = await server('HS256');
  });

  const header = (s: Server, members: Members) =>
    `${base64url.encode(JSON.stringify({ alg: s.keys.algorithm, typ: 'at+jwt', kid: s.keys.signingKid, ...members }))}.e30.c2ln`;

  it('returns the key of the configured kid for a well-formed header', async () => {
    const key = await resolveVerificationKey(es.keys, header(es, {}));
    expect(key.equals(es.keys.verificationKey(es.keys.signingKid) as KeyObject)).toBe(true);
    const secret = await resolveVerificationKey(hs.keys, header(hs, {}));
    expect(secret.type).toBe('secret');
  });

  it.each<[string, unknown, JwtFailureReason]>([
    ['a non-string', 42, 'malformed'],
    ['two segments', 'e30.e30', 'malformed'],
    ['four segments', 'e30.e30.e30.e30', 'malformed'],
    ['non-base64url characters', 'e30.e30.a+b', 'malformed'],
    ['a header that is not JSON', 'bm90IGpzb24.e30.c2ln', 'malformed'],
    ['a token over the size limit', `${'e'.repeat(MAX_ACCESS_TOKEN_LENGTH)}.e30.c2ln`, 'too_large'],
  ])('refuses %s', async (_name, token, reason) => {
    expect(await refusalReason(resolveVerificationKey(es.keys, token))).toBe(reason);
  });

  it.each<[string, Members, JwtFailureReason]>([
    ['alg none', { alg: 'none' }, 'alg_not_allowed'],
    ['alg None', { alg: 'None' }, 'alg_not_allowed'],
    ['alg NONE', { alg: 'NONE' }, 'alg_not_allowed'],
    ['alg nOnE', { alg: 'nOnE' }, 'alg_not_allowed'],
    ['alg es256 (case matters)', { alg: 'es256' }, 'alg_not_allowed'],
    ['alg HS256 on an ES256 server', { alg: 'HS256' }, 'alg_not_allowed'],
    ['alg ES384', { alg: 'ES384' }, 'alg_not_allowed'],
    ['no alg', { alg: undefined }, 'alg_not_allowed'],
    ['jku', { jku: 'http://127.0.0.1/keys' }, 'forbidden_header'],
    ['x5u', { x5u: 'http://127.0.0.1/cert' }, 'forbidden_header'],
    ['x5c', { x5c: ['MIIB'] }, 'forbidden_header'],
    ['jwk', { jwk: { kty: 'EC' } }, 'forbidden_header'],
    ['crit', { crit: ['exp'] }, 'forbidden_header'],
    ['typ JWT', { typ: 'JWT' }, 'wrong_typ'],
    ['no typ', { typ: undefined }, 'wrong_typ'],
    ['typ rt+jwt', { typ: 'rt+jwt' }, 'wrong_typ'],
    ['a numeric typ', { typ: 1 }, 'wrong_typ'],
    ['a numeric kid', { kid: 7 }, 'malformed'],
    ['an unknown kid', { kid: 'nope' }, 'unknown_kid'],
    ['a path as kid', { kid: '../../../../dev/null' }, 'unknown_kid'],
    ['__proto__ as kid', { kid: '__proto__' }, 'unknown_kid'],
    ['no kid', { kid: undefined }, 'unknown_kid'],
  ])('ES256 server refuses a header with %s', async (_name, members, reason) => {
    expect(await refusalReason(resolveVerificationKey(es.keys, header(es, members)))).toBe(reason);
  });

  it('HS256 server refuses any kid (its only key is the secret) and asymmetric algs', async () => {
    expect(await refusalReason(resolveVerificationKey(hs.keys, header(hs, { kid: 'x' })))).toBe('unknown_kid');
    expect(await refusalReason(resolveVerificationKey(hs.keys, header(hs, { alg: 'ES256' })))).toBe('alg_not_allowed');
  });

  it('accepts typ in either RFC 9068 spelling, in any case', async () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT']) {
      await expect(resolveVerificationKey(es.keys, header(es, { typ }))).resolves.toBeDefined();
    }
  });
});

describe.each<JwtAlgorithm>(['ES256', 'RS256', 'EdDSA', 'HS256'])('JwtVerifier (%s)', (algorithm) => {
  let s: Server;
  beforeAll(async () => {
    s = await server(algorithm);
  });

  it('turns a valid token into a frozen principal', async () => {
    const token = await signFor(s, { sid: 'fam-1', role: 'admin', jti: 'j-1' });
    const principal = await run(s.verifier, token);
    expect(principal).toEqual({
      id: 'u1',
      roles: ['admin'],
      authMethod: 'jwt',
      scopes: [],
      tokenId: 'j-1',
      sessionId: 'fam-1',
      issuedAt: expect.any(Number),
      expiresAt: expect.any(Number),
    });
    expect(Object.isFrozen(principal)).toBe(true);
    expect(Object.isFrozen((principal as SecurityPrincipal).roles)).toBe(true);
  });

  it.each<[string, () => Members, Members, JwtFailureReason]>([
    ['expired', () => ({ iat: now() - 100, exp: now() - 10 }), {}, 'expired'],
    ['not yet valid', () => ({ nbf: now() + 60 }), {}, 'not_yet_valid'],
    ['wrong issuer', () => ({ iss: 'x' }), {}, 'wrong_issuer'],
    ['wrong audience', () => ({ aud: 'x' }), {}, 'wrong_audience'],
    ['missing exp', () => ({ exp: undefined }), {}, 'invalid_claims'],
    ['missing jti', () => ({ jti: undefined }), {}, 'invalid_claims'],
    ['missing sub', () => ({ sub: undefined }), {}, 'invalid_claims'],
    ['missing iat', () => ({ iat: undefined }), {}, 'invalid_claims'],
    ['exp before iat', () => ({ iat: now(), exp: now() - 1 }), {}, 'invalid_claims'],
    ['numeric sid', () => ({ sid: 5 }), {}, 'invalid_claims'],
    ['wrong typ', () => ({}), { typ: 'JWT' }, 'wrong_typ'],
    ['a string iat', () => ({ iat: String(now()) }), {}, 'invalid_claims'],
    ['a string nbf', () => ({ nbf: String(now()) }), {}, 'invalid_claims'],
    ['an audience list without ours', () => ({ aud: ['a', 'b'] }), {}, 'wrong_audience'],
  ])('refuses a token with %s', async (_name, payload, header, reason) => {
    expect(reasonOf(await run(s.verifier, await signFor(s, payload(), header)))).toBe(reason);
  });

  it('reads exp, the iat bound and the cache from an injected SECURITY_CLOCK, not from Date.now', async () => {
    let at = Date.now();
    const clocked = new JwtVerifier(s.keys, s.options, () => at);
    const token = await signFor(s); // valid for 60 s from now, 5 s tolerance
    expect(reasonOf(await run(clocked, token))).toBe('accepted');
    at += 120_000;
    expect(reasonOf(await run(clocked, token))).toBe('expired');
    expect(reasonOf(await run(s.verifier, token))).toBe('accepted');
    // An hour back (on a verifier that has not cached it), the same token's iat lies in the future.
    const early = Date.now() - 3_600_000;
    expect(reasonOf(await run(new JwtVerifier(s.keys, s.options, () => early), token))).toBe('invalid_claims');
  });

  it('honours the clock tolerance for exp', async () => {
    const token = await signFor(s, { iat: now() - 100, exp: now() - 2 });
    expect(reasonOf(await run(s.verifier, token))).toBe('accepted');
  });

  it('refuses a changed payload', async () => {
    const [h, , sig] = (await signFor(s)).split('.');
    const forged = `${h}.${base64url.encode(JSON.stringify(claims({ sub: 'admin' })))}.${sig}`;
    expect(reasonOf(await run(s.verifier, forged))).toBe('bad_signature');
  });
});

describe('JwtVerifier with rotated keys', () => {
  it('accepts a token signed by an older key under its kid, and only under that kid', async () => {
    const old = keyPair('ES256');
    const s = await server('ES256', { verificationKeys: [{ kid: 'old-1', publicKey: pem(old.publicKey, 'spki') }] });
    const byOld = await sign({ alg: 'ES256', typ: 'at+jwt', kid: 'old-1' }, claims(), old.privateKey);
    expect(reasonOf(await run(s.verifier, byOld))).toBe('accepted');
    const wrongKid = await sign({ alg: 'ES256', typ: 'at+jwt', kid: s.keys.signingKid }, claims(), old.privateKey);
    expect(reasonOf(await run(s.verifier, wrongKid))).toBe('bad_signature');
  });
});

describe('JwtVerifier', () => {
  afterEach(() => jest.restoreAllMocks());

  it('refuses a signature of the wrong length as a bad signature (ES256)', async () => {
    const s = await server('ES256');
    const [h, p] = (await signFor(s)).split('.');
    expect(reasonOf(await run(s.verifier, `${h}.${p}.AAAA`))).toBe('bad_signature');
  });

  it('names the claim of an invalid_claims refusal', async () => {
    const s = await server('ES256');
    const outcome = await run(s.verifier, await signFor(s, { jti: undefined }));
    expect(outcome).toMatchObject({ reason: 'invalid_claims', claim: 'jti' });
  });

  it('verifies a token once until its exp, and never uses the cache after it', async () => {
    const s = await server('EdDSA');
    const lookups = jest.spyOn(s.keys, 'verificationKey');
    const token = await signFor(s, { iat: now(), exp: now() + 30 });
    for (let i = 0; i < 3; i++) expect(reasonOf(await run(s.verifier, token))).toBe('accepted');
    expect(lookups).toHaveBeenCalledTimes(1);
    expect(s.verifier.cached(token)).toMatchObject({ id: 'u1' });
    jest.spyOn(Date, 'now').mockReturnValue((now() + 40) * 1000);
    expect(s.verifier.cached(token)).toBeUndefined();
    expect(reasonOf(await run(s.verifier, token))).toBe('expired');
    expect(lookups).toHaveBeenCalledTimes(2);
  });

  it('caches the exact string only: a changed byte is verified again', async () => {
    const s = await server('HS256');
    const token = await signFor(s);
    await run(s.verifier, token);
    // A middle character of the signature: the last one also carries padding bits, and changing
    // only those leaves the decoded signature (and so the verdict) unchanged.
    const at = token.length - 10;
    const changed = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
    expect(s.verifier.cached(changed)).toBeUndefined();
    expect(reasonOf(await run(s.verifier, changed))).toBe('bad_signature');
  });

  it('refuses an unexpected failure as `invalid` and logs it without the token', async () => {
    const s = await server('ES256');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(s.keys, 'verificationKey').mockImplementation(() => {
      throw new Error('boom');
    });
    const token = await signFor(s);
    expect(reasonOf(await run(s.verifier, token))).toBe('invalid');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).not.toContain(token);
  });
});

function now(): number {
  return Math.floor(Date.now() / 1000);
}
