import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { ISSUER_ATTACKS } from './issuer.attacks';
import { IssuerForge } from './issuer.forge';
import { probeIssuers } from './issuer.prober';
import { decodePayload } from './jwt.primitives';

const trusted = () => IssuerForge.create({ issuer: 'https://main.test', audience: 'urn:api' });
const other = () => IssuerForge.create({ issuer: 'https://partner.test', audience: 'urn:partner' });

/** A server that lets everything in: every attack must be reported. */
const permissive = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end('{}');
/** A server that refuses everything: the control fails, so the probe must say so. */
const closed = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(401).end();

describe('IssuerForge', () => {
  it('mints RFC 9068 access tokens its own JWKS verifies', async () => {
    const forge = await trusted();
    const token = await forge.accessToken({ sub: 'alice', scope: 'orders:read' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: forge.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(forge.jwks()), {
      issuer: 'https://main.test',
      audience: 'urn:api',
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'client-1', scope: 'orders:read' });
    expect(Object.keys(forge.publicJwk)).not.toContain('d');
  });

  it('takes the provider key as a PEM, a KeyObject or a private JWK, keeping its kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'k-1' };
    const forges = await Promise.all([
      IssuerForge.create({ issuer: 'https://i.test', audience: 'a', algorithm: 'ES256', key: pem }),
      IssuerForge.create({ issuer: 'https://i.test', audience: 'a', algorithm: 'ES256', key: privateKey }),
      IssuerForge.create({ issuer: 'https://i.test', audience: 'a', algorithm: 'ES256', key: jwk }),
    ]);
    expect(new Set(forges.map((forge) => forge.publicJwk.x)).size).toBe(1);
    expect(forges[2]!.kid).toBe('k-1');
    await expect(IssuerForge.create({ issuer: '', audience: 'a' })).rejects.toThrow(TypeError);
  });

  it('serves a rogue issuer whose iss is its URL, counting discovery and JWKS fetches', async () => {
    const { forge, served } = await IssuerForge.rogue('urn:api');
    try {
      expect(forge.issuer).toBe(served.url);
      const metadata = (await (await fetch(`${forge.issuer}/.well-known/openid-configuration`)).json()) as Record<
        string,
        string
      >;
      expect(metadata).toEqual({ issuer: served.url, jwks_uri: served.jwksUri });
      const jwks = await (await fetch(served.jwksUri)).json();
      expect(jwks).toEqual(forge.jwks());
      expect(served.fetches()).toEqual({ jwks: 1, metadata: 1 });
    } finally {
      await served.close();
    }
  });
});

describe('ISSUER_ATTACKS', () => {
  it('have unique names and cover the issuer attacks of the brief', () => {
    const names = ISSUER_ATTACKS.map((attack) => attack.name);
    expect(new Set(names).size).toBe(names.length);
    for (const part of [
      'untrusted issuer',
      'jku',
      'x5u',
      'jwk',
      'mix-up',
      'audience',
      'typ JWT',
      'alg none',
      'HS256',
    ]) {
      expect(names.some((name) => name.includes(part))).toBe(true);
    }
  });

  it('mix-ups put one trusted issuer under the other one’s iss or key', async () => {
    const [main, partner, rogue] = await Promise.all([trusted(), other(), trusted()]);
    const context = { trusted: main, other: partner, rogue, rogueJwksUri: 'http://127.0.0.1:9/jwks', claims: {} };
    const byName = (part: string) => ISSUER_ATTACKS.find((attack) => attack.name.includes(part))!;
    const signedByPartner = await byName("trusted iss, signed by another trusted issuer's key").build(context);
    expect(decodePayload(signedByPartner)).toMatchObject({ iss: 'https://main.test', aud: 'urn:api' });
    await expect(jwtVerify(signedByPartner, createLocalJWKSet(partner.jwks()))).resolves.toBeDefined();
    const relabelled = await byName("another trusted issuer's iss, signed by the trusted key").build(context);
    expect(decodePayload(relabelled)).toMatchObject({ iss: 'https://partner.test' });
    await expect(jwtVerify(relabelled, createLocalJWKSet(main.jwks()))).resolves.toBeDefined();
  });
});

describe('probeIssuers', () => {
  it('reports every attack against a server that accepts anything', async () => {
    const report = await probeIssuers(permissive, { trusted: await trusted(), other: await other(), path: '/api/me' });
    expect(report.controlStatus).toBe(200);
    expect(report.findings.map((finding) => finding.attack)).toEqual(ISSUER_ATTACKS.map((attack) => attack.name));
    expect(report.skipped).toEqual([]);
    expect(report.sent).toBe(ISSUER_ATTACKS.length + 1);
    expect(report.rogueFetches).toEqual({ jwks: 0, metadata: 0 });
  });

  it('skips the mix-ups without another trusted issuer, and reports a refused control', async () => {
    const report = await probeIssuers(closed, { trusted: await trusted(), path: '/api/me' });
    expect(report.controlStatus).toBe(401);
    expect(report.findings).toEqual([]);
    expect(report.skipped).toEqual(ISSUER_ATTACKS.filter((a) => a.needsOther).map((a) => a.name));
  });

  it('refuses a method it cannot send', async () => {
    await expect(probeIssuers(permissive, { trusted: await trusted(), path: '/x', method: 'TRACE' })).rejects.toThrow(
      'unsupported method',
    );
  });
});
