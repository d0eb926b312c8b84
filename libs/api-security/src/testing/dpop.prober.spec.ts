import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import { accessTokenHash } from '../authentication/dpop-claims';
import { DPOP_ATTACKS } from './dpop.attacks';
import { DpopKey } from './dpop.forge';
import { probeDpop } from './dpop.prober';
import { decodePayload } from './jwt.primitives';
import { TokenForge } from './token.forge';

async function forge(): Promise<TokenForge> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return TokenForge.create({ algorithm: 'ES256', key: privateKey, issuer: 'https://issuer.test', audience: 'kit' });
}

/** A server that lets everything in: every attack must be reported. */
const permissive = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end('{}');
/** A server that refuses everything: the control fails, so the probe must say so. */
const closed = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(401).end();

describe('DpopKey', () => {
  it('signs a proof with typ dpop+jwt, its alg and public jwk, and htm/htu/iat/jti/ath', async () => {
    for (const algorithm of ['ES256', 'EdDSA', 'PS256'] as const) {
      const key = await DpopKey.generate(algorithm);
      const proof = await key.proof({ method: 'GET', url: 'https://api.test/x', accessToken: 'a.b.c', nonce: 'n' });
      const header = decodeProtectedHeader(proof);
      expect(header).toMatchObject({ alg: algorithm, typ: 'dpop+jwt' });
      expect(header.jwk).toEqual(key.publicJwk);
      expect(Object.keys(header.jwk as JWK)).not.toContain('d');
      expect(await calculateJwkThumbprint(header.jwk as JWK)).toBe(key.thumbprint);
      expect(decodePayload(proof)).toMatchObject({
        htm: 'GET',
        htu: 'https://api.test/x',
        ath: accessTokenHash('a.b.c'),
        nonce: 'n',
        jti: expect.any(String),
        iat: expect.any(Number),
      });
    }
  });

  it('TokenForge.dpopBoundToken binds the token to the key thumbprint (cnf.jkt)', async () => {
    const key = await DpopKey.generate();
    const token = await (await forge()).dpopBoundToken(key, { sub: 'u' });
    expect(decodePayload(token)).toMatchObject({ sub: 'u', cnf: { jkt: key.thumbprint } });
  });
});

describe('DPOP_ATTACKS', () => {
  it('have unique names and cover the attacks of the test-kit brief', () => {
    const names = DPOP_ATTACKS.map((attack) => attack.name);
    expect(new Set(names).size).toBe(names.length);
    const reasons = new Set(DPOP_ATTACKS.map((attack) => attack.reason));
    for (const reason of [
      'dpop_replayed',
      'dpop_htm_mismatch',
      'dpop_htu_mismatch',
      'dpop_key_mismatch',
      'dpop_proof_missing',
      'dpop_bound_token_as_bearer',
      'dpop_ath_mismatch',
      'dpop_iat_out_of_window',
      'dpop_alg_not_allowed',
    ]) {
      expect(reasons).toContain(reason);
    }
  });
});

describe('probeDpop', () => {
  it('reports every attack against a server that accepts anything', async () => {
    const report = await probeDpop(permissive, { forge: await forge(), path: '/api/me' });
    expect(report.controlStatus).toBe(200);
    expect(report.findings.map((finding) => finding.attack)).toEqual(DPOP_ATTACKS.map((attack) => attack.name));
    expect(report.sent).toBe(DPOP_ATTACKS.length + 2);
  });

  it('reports a refused control (a probe that proves nothing) and a refused first use of the replay', async () => {
    const report = await probeDpop(closed, { forge: await forge(), path: '/api/me' });
    expect(report.controlStatus).toBe(401);
    expect(report.findings).toEqual([
      { attack: DPOP_ATTACKS[0]!.name, status: 401, message: 'first use answered 401' },
    ]);
  });

  it('refuses a method it cannot send', async () => {
    await expect(probeDpop(permissive, { forge: await forge(), path: '/x', method: 'TRACE' })).rejects.toThrow(
      'unsupported method',
    );
  });
});
