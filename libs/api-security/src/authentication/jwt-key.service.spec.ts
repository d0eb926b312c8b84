import { Logger, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, generateKeyPairSync, KeyObject, type JsonWebKeyInput } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { ApiSecurityModule } from '../api-security.module';
import {
  ApiSecurityConfigError,
  resolveApiSecurityOptions,
  type JwtOptions,
  type ResolvedApiSecurityOptions,
} from '../api-security.options';
import { JwtKeyService } from './jwt-key.service';
import { JwtRefusal } from './jwt-refusal';

type Asymmetric = 'ES256' | 'RS256' | 'EdDSA';
const ASYMMETRIC: readonly Asymmetric[] = ['ES256', 'RS256', 'EdDSA'];
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

function keyPair(algorithm: Asymmetric | 'P-384' | 'RSA-1024'): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'P-384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'RSA-1024':
      return generateKeyPairSync('rsa', { modulusLength: 1024 });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
  }
}

const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

function silentLogger(): LoggerService & { warn: jest.Mock } {
  return { log: jest.fn(), error: jest.fn(), warn: jest.fn() };
}

function options(jwt: JwtOptions, production = false): ResolvedApiSecurityOptions {
  return resolveApiSecurityOptions({ jwt, production });
}

/** Resolved options with the checks of resolveApiSecurityOptions bypassed, as a hand-built object would be. */
function handBuilt(jwt: Partial<ResolvedApiSecurityOptions['jwt']>, production = false): ResolvedApiSecurityOptions {
  const base = resolveApiSecurityOptions({ production: false });
  return { ...base, production, jwt: { ...base.jwt, ...jwt } };
}

async function thumbprint(key: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(key));
}

describe('JwtKeyService', () => {
  describe.each(ASYMMETRIC)('%s with a configured PKCS#8 key', (algorithm) => {
    const { privateKey, publicKey } = keyPair(algorithm);
    let keys: JwtKeyService;
    beforeAll(async () => {
      keys = await JwtKeyService.load(options({ algorithm, privateKey: pkcs8(privateKey) }), silentLogger());
    });

    it('uses the RFC 7638 thumbprint of the public key as kid', async () => {
      expect(keys.algorithm).toBe(algorithm);
      expect(keys.signingKid).toBe(await thumbprint(publicKey));
    });

    it('signs with the configured key, header alg + typ + kid only', async () => {
      const token = await keys.sign({ sub: 'u' }, 'at+jwt');
      expect(decodeProtectedHeader(token)).toEqual({ alg: algorithm, typ: 'at+jwt', kid: keys.signingKid });
      const { payload } = await jwtVerify(token, publicKey, { algorithms: [algorithm] });
      expect(payload.sub).toBe('u');
    });

    it('finds the public key by kid only', () => {
      const found = keys.verificationKey(keys.signingKid);
      expect(found?.type).toBe('public');
      expect(found?.equals(publicKey)).toBe(true);
      expect(keys.verificationKey(undefined)).toBeUndefined();
      for (const kid of ['__proto__', 'constructor', 'toString', '../../../../dev/null', '']) {
        expect(keys.verificationKey(kid)).toBeUndefined();
      }
    });

    it('publishes the public key only, with kid, alg and use', () => {
      const { keys: published } = keys.jwks();
      expect(published).toHaveLength(1);
      expect(published[0]).toMatchObject({ kid: keys.signingKid, alg: algorithm, use: 'sig' });
      for (const member of PRIVATE_JWK_MEMBERS) expect(published[0]).not.toHaveProperty(member);
    });

    it('hands out copies of the JWKS', () => {
      const first = keys.jwks();
      (first.keys[0] as { kid?: string }).kid = 'changed';
      first.keys.push({ kty: 'oct', k: 'c2VjcmV0' });
      expect(keys.jwks().keys).toHaveLength(1);
      expect(keys.jwks().keys[0]?.kid).toBe(keys.signingKid);
    });

    it('refuses a remote lookup when no JWKS URL is configured', async () => {
      expect(keys.hasRemoteJwks).toBe(false);
      await expect(keys.remoteVerificationKey({ alg: algorithm, kid: 'x' })).rejects.toEqual(
        new JwtRefusal('unknown_kid'),
      );
    });
  });

  it('HS256: the secret verifies tokens without kid, never anything else; the JWKS is empty', async () => {
    const secret = 's'.repeat(40);
    const keys = await JwtKeyService.load(options({ algorithm: 'HS256', secret }), silentLogger());
    expect(keys.signingKid).toBeUndefined();
    const key = keys.verificationKey(undefined);
    expect(key?.type).toBe('secret');
    expect(key?.export().toString()).toBe(secret);
    expect(keys.verificationKey('any')).toBeUndefined();
    expect(keys.jwks()).toEqual({ keys: [] });
    const token = await keys.sign({ sub: 'u' }, 'at+jwt');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
  });

  describe('key type must match the algorithm', () => {
    it.each<[Asymmetric, Parameters<typeof keyPair>[0], RegExp]>([
      ['ES256', 'RS256', /EC key on curve P-256/],
      ['ES256', 'P-384', /EC key on curve P-256/],
      ['ES256', 'EdDSA', /EC key on curve P-256/],
      ['RS256', 'ES256', /RSA key of at least 2048 bits/],
      ['RS256', 'RSA-1024', /RSA key of at least 2048 bits/],
      ['EdDSA', 'ES256', /Ed25519 key/],
      ['EdDSA', 'RS256', /Ed25519 key/],
    ])('%s refuses a %s private key at boot', async (algorithm, kind, message) => {
      const pem = pkcs8(keyPair(kind).privateKey);
      expect(() => options({ algorithm, privateKey: pem })).toThrow(message);
      const load = JwtKeyService.load(handBuilt({ algorithm, privateKey: pem }), silentLogger());
      await expect(load).rejects.toBeInstanceOf(ApiSecurityConfigError);
      await expect(load).rejects.toThrow(/jwt\.privateKey/);
    });

    it('refuses a verification key of another type', async () => {
      const signing = pkcs8(keyPair('ES256').privateKey);
      const other = spki(keyPair('RS256').publicKey);
      expect(() =>
        options({ algorithm: 'ES256', privateKey: signing, verificationKeys: [{ publicKey: other }] }),
      ).toThrow(/jwt\.verificationKeys\[0\]\.publicKey must be an EC key on curve P-256/);
      const load = JwtKeyService.load(
        handBuilt({ algorithm: 'ES256', privateKey: signing, verificationKeys: [{ publicKey: other }] }),
        silentLogger(),
      );
      await expect(load).rejects.toThrow(/jwt\.verificationKeys\[0\]/);
    });
  });

  describe('without a private key', () => {
    afterEach(() => jest.restoreAllMocks());

    it.each(ASYMMETRIC)('refuses to boot in production with %s, naming jwt.privateKey', async (algorithm) => {
      expect(() => options({ algorithm }, true)).toThrow(/jwt\.privateKey is required in production/);
      await expect(JwtKeyService.load(handBuilt({ algorithm }, true), silentLogger())).rejects.toThrow(
        /jwt\.privateKey is required in production/,
      );
    });

    it.each(ASYMMETRIC)('generates a %s key outside production and warns once, without the key', async (algorithm) => {
      const logger = silentLogger();
      const keys = await JwtKeyService.load(options({ algorithm }), logger);
      expect(logger.warn).not.toHaveBeenCalled();
      keys.onApplicationBootstrap();
      keys.onApplicationBootstrap();
      expect(logger.warn).toHaveBeenCalledTimes(1);
      const message = String(logger.warn.mock.calls[0]?.[0]);
      expect(message).toContain('jwt.privateKey');
      expect(message).not.toMatch(/BEGIN|PRIVATE KEY-----/);
      const published = keys.jwks().keys[0];
      expect(published?.kid).toBe(keys.signingKid);
      for (const member of ['x', 'y', 'n'] as const) {
        const material = published?.[member];
        if (material) expect(message).not.toContain(material.slice(0, 16));
      }
      const token = await keys.sign({ sub: 'u' }, 'at+jwt');
      await jwtVerify(token, keys.verificationKey(keys.signingKid) as KeyObject, { algorithms: [algorithm] });
    });

    it('does not warn when the key is configured', async () => {
      const logger = silentLogger();
      const keys = await JwtKeyService.load(
        options({ algorithm: 'ES256', privateKey: pkcs8(keyPair('ES256').privateKey) }),
        logger,
      );
      keys.onApplicationBootstrap();
      expect(logger.warn).not.toHaveBeenCalled();
    });

    it('warns exactly once when an application boots with a generated key', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const moduleRef = await Test.createTestingModule({
        imports: [ApiSecurityModule.forRoot({ production: false })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      try {
        const warnings = warn.mock.calls.filter(([message]) => String(message).includes('jwt.privateKey'));
        expect(warnings).toHaveLength(1);
        expect(app.get(JwtKeyService).signingKid).toEqual(expect.any(String));
      } finally {
        await app.close();
      }
    });
  });

  describe('rotation', () => {
    const current = keyPair('ES256');
    const previous = keyPair('ES256');
    const older = keyPair('ES256');

    it('accepts older public keys by configured kid or by thumbprint, and publishes them', async () => {
      const keys = await JwtKeyService.load(
        options({
          algorithm: 'ES256',
          privateKey: pkcs8(current.privateKey),
          verificationKeys: [
            { kid: '2024-key', publicKey: spki(previous.publicKey) },
            { publicKey: spki(older.publicKey) },
          ],
        }),
        silentLogger(),
      );
      const olderKid = await thumbprint(older.publicKey);
      expect(keys.verificationKey('2024-key')?.equals(previous.publicKey)).toBe(true);
      expect(keys.verificationKey(olderKid)?.equals(older.publicKey)).toBe(true);
      expect(keys.verificationKey(await thumbprint(previous.publicKey))).toBeUndefined();
      expect(keys.jwks().keys.map((k) => k.kid)).toEqual([keys.signingKid, '2024-key', olderKid]);
      for (const jwk of keys.jwks().keys) {
        for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);
      }
      // Only the current key signs.
      const token = await keys.sign({ sub: 'u' }, 'at+jwt');
      expect(decodeProtectedHeader(token).kid).toBe(keys.signingKid);
      await jwtVerify(token, createPublicKey(current.privateKey), { algorithms: ['ES256'] });
    });

    it('refuses two keys with one kid', async () => {
      const currentKid = await thumbprint(current.publicKey);
      expect(() =>
        options({
          algorithm: 'ES256',
          privateKey: pkcs8(current.privateKey),
          verificationKeys: [
            { kid: 'same', publicKey: spki(previous.publicKey) },
            { kid: 'same', publicKey: spki(older.publicKey) },
          ],
        }),
      ).toThrow(/jwt\.verificationKeys\[1\]\.kid repeats/);
      await expect(
        JwtKeyService.load(
          options({
            algorithm: 'ES256',
            privateKey: pkcs8(current.privateKey),
            verificationKeys: [{ kid: currentKid, publicKey: spki(previous.publicKey) }],
          }),
          silentLogger(),
        ),
      ).rejects.toThrow(/jwt\.verificationKeys\[0\] has the kid/);
    });
  });

  it('publishes no private member whatever the key type (RSA has the most)', async () => {
    const { privateKey } = keyPair('RS256');
    const keys = await JwtKeyService.load(
      options({ algorithm: 'RS256', privateKey: pkcs8(privateKey) }),
      silentLogger(),
    );
    const [jwk] = keys.jwks().keys;
    expect(Object.keys(jwk ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    // What is published is enough to verify with: a usable public key.
    expect(createPublicKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' }).asymmetricKeyType).toBe('rsa');
  });
});

describe('JwtKeyService with a remote JWKS', () => {
  it('hands out one KeyObject per remote key, so verifiers keep their imported key', async () => {
    const external = keyPair('ES256');
    const jwk = { ...(await exportJWK(external.publicKey)), kid: 'ext-1', alg: 'ES256', use: 'sig' };
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const { privateKey } = keyPair('ES256');
      const keys = await JwtKeyService.load(
        options({
          algorithm: 'ES256',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
        }),
        silentLogger(),
      );
      const first = await keys.remoteVerificationKey({ alg: 'ES256', kid: 'ext-1' });
      expect(first.equals(external.publicKey)).toBe(true);
      expect(await keys.remoteVerificationKey({ alg: 'ES256', kid: 'ext-1' })).toBe(first);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
