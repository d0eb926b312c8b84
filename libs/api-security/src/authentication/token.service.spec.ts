import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { resolveApiSecurityOptions, type JwtOptions, type ResolvedApiSecurityOptions } from '../api-security.options';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { MemorySecurityStore } from '../store/memory.store';
import { JwtKeyService } from './jwt-key.service';
import { RevocationService } from './revocation.service';
import { userValidAfterKey } from './revocation.keys';
import { TokenService } from './token.service';

const silent = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function setup(jwt: JwtOptions = {}): Promise<{
  tokens: TokenService;
  keys: JwtKeyService;
  store: MemorySecurityStore;
  options: ResolvedApiSecurityOptions;
}> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const options = resolveApiSecurityOptions({
    production: false,
    jwt: {
      algorithm: 'ES256',
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      issuer: 'iss-1',
      audience: 'aud-1',
      accessTokenTtlSeconds: 600,
      ...jwt,
    },
  });
  const keys = await JwtKeyService.load(options, silent);
  const store = new MemorySecurityStore();
  return { tokens: new TokenService(keys, store, options), keys, store, options };
}

describe('TokenService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('issues an RFC 9068 access token with the contract claims and header', async () => {
    const { tokens, keys } = await setup();
    const before = Math.floor(Date.now() / 1000);
    const issued = await tokens.issueAccessToken({ sub: 'user-1', role: 'admin', sid: 'family-9' });
    const after = Math.floor(Date.now() / 1000);

    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.signingKid });
    const claims = decodeJwt(issued.token);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub']);
    expect(claims).toMatchObject({ sub: 'user-1', role: 'admin', sid: 'family-9', iss: 'iss-1', aud: 'aud-1' });
    expect(claims.jti).toMatch(UUID);
    expect(Number.isInteger(claims.iat)).toBe(true);
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.iat).toBeLessThanOrEqual(after);
    expect(claims.exp).toBe((claims.iat as number) + 600);
    expect(issued).toEqual({ token: issued.token, jti: claims.jti, expiresIn: 600, expiresAt: claims.exp });
    await jwtVerify(issued.token, keys.verificationKey(keys.signingKid)!, {
      algorithms: ['ES256'],
      typ: 'at+jwt',
      issuer: 'iss-1',
      audience: 'aud-1',
    });
  });

  it('leaves sid out when not given and uses a new jti every time', async () => {
    const { tokens } = await setup();
    const a = await tokens.issueAccessToken({ sub: 'u', role: 'user' });
    const b = await tokens.issueAccessToken({ sub: 'u', role: 'user' });
    expect(decodeJwt(a.token)).not.toHaveProperty('sid');
    expect(a.jti).not.toBe(b.jti);
  });

  it.each([
    [{ sub: '', role: 'user' }, /sub/],
    [{ sub: 'u', role: '' }, /role/],
    [{ sub: 'u', role: 'user', sid: '' }, /sid/],
    [{ sub: 7, role: 'user' }, /sub/],
  ])('refuses bad claims %p', async (claims, message) => {
    const { tokens } = await setup();
    await expect(tokens.issueAccessToken(claims as never)).rejects.toThrow(message);
  });

  describe('iat and the revocation stamp', () => {
    it('uses now when the stamp is older, with one store read', async () => {
      const { tokens, store } = await setup();
      await store.set(userValidAfterKey('u'), String(1_000_000_000_000), 60_000);
      const get = jest.spyOn(store, 'get');
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_400);
      const issued = await tokens.issueAccessToken({ sub: 'u', role: 'user' });
      expect(decodeJwt(issued.token).iat).toBe(1_700_000_000);
      expect(get).toHaveBeenCalledTimes(1);
      expect(get).toHaveBeenCalledWith(userValidAfterKey('u'));
    });

    it('rounds up to the stamp when "revoke everything" happened in the same second', async () => {
      const { tokens, store } = await setup();
      await store.set(userValidAfterKey('u'), String(1_700_000_000_250), 60_000);
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_400);
      const issued = await tokens.issueAccessToken({ sub: 'u', role: 'user' });
      const claims = decodeJwt(issued.token);
      expect(claims.iat).toBe(1_700_000_001);
      expect((claims.iat as number) * 1000).toBeGreaterThanOrEqual(1_700_000_000_250);
      expect(claims.exp).toBe(1_700_000_001 + 600);
      expect(issued.expiresAt).toBe(claims.exp);
    });

    it('keeps a stamp on a whole second as is', async () => {
      const { tokens, store } = await setup();
      await store.set(userValidAfterKey('u'), String(1_700_000_000_000), 60_000);
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
      expect(decodeJwt((await tokens.issueAccessToken({ sub: 'u', role: 'user' })).token).iat).toBe(1_700_000_000);
    });

    it.each([1_700_000_000_000, 1_700_000_000_999, 1_700_000_000_500])(
      'orders issue → revokeAllForUser → issue within one millisecond (%p)',
      async (instant) => {
        const { tokens, store, options } = await setup();
        const bus = { emit: () => undefined } as unknown as SecurityEventBus;
        const revocation = new RevocationService(store, bus, options);
        jest.spyOn(Date, 'now').mockReturnValue(instant);
        const before = decodeJwt((await tokens.issueAccessToken({ sub: 'u', role: 'user' })).token);
        await revocation.revokeAllForUser('u');
        const after = decodeJwt((await tokens.issueAccessToken({ sub: 'u', role: 'user' })).token);
        const principal = (claims: typeof before) => ({ id: 'u', tokenId: claims.jti, issuedAt: claims.iat });
        expect(await revocation.isRevoked(principal(before))).toBe(true);
        expect(await revocation.isRevoked(principal(after))).toBe(false);
      },
    );

    it("reads only this user's stamp", async () => {
      const { tokens, store } = await setup();
      await store.set(userValidAfterKey('other'), String(Date.now() + 5_000), 60_000);
      const issued = await tokens.issueAccessToken({ sub: 'u', role: 'user' });
      expect(decodeJwt(issued.token).iat).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    });

    it('ignores an unreadable stamp (the verifier treats it as revoking everything)', async () => {
      const { tokens, store } = await setup();
      await store.set(userValidAfterKey('u'), 'garbage', 60_000);
      jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_400);
      expect(decodeJwt((await tokens.issueAccessToken({ sub: 'u', role: 'user' })).token).iat).toBe(1_700_000_000);
    });
  });

  it('signs HS256 tokens without kid', async () => {
    const options = resolveApiSecurityOptions({ jwt: { algorithm: 'HS256', secret: 'z'.repeat(32) } });
    const tokens = new TokenService(await JwtKeyService.load(options, silent), new MemorySecurityStore(), options);
    const { token } = await tokens.issueAccessToken({ sub: 'u', role: 'user' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
  });
});
