import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import request from 'supertest';
import { ErrorCode } from '@api-security/nestjs';
import { decodePayload, DpopKey } from '@api-security/nestjs/testing';
import { ADAPTERS, createApp } from '../utils/create-app';
import { expectProblem } from '../utils/problem';
import { DPOP_HOST, DPOP_ORIGIN, dpopAppMetadata } from './dpop.fixture';

const ONLY = '/api/dpop/only';

/** What the issuer process prints once it listens. */
interface Issuer {
  issuer: string;
  tokenEndpoint: string;
  audience: string;
  clientId: string;
  clientSecret: string;
  publicJwk: JsonWebKey & { kid: string };
}

/** Starts oidc-provider (ESM-only) in a child process and reads its one line of configuration. */
function startIssuer(): Promise<{ child: ChildProcess; issuer: Issuer }> {
  const child = spawn(process.execPath, [join(__dirname, 'support', 'oidc-dpop-issuer.mjs')], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the issuer exited (${String(code)}) before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      resolve({ child, issuer: JSON.parse(line) as Issuer });
    });
  });
}

describe('DPoP-bound tokens from a real authorization server (oidc-provider, features.dPoP)', () => {
  let child: ChildProcess | undefined;
  let issuer: Issuer;
  let key: DpopKey;

  /** A client-credentials token from oidc-provider, bound to `key` by the DPoP proof sent to its token endpoint. */
  async function issuedToken(): Promise<{ token: string; tokenType: string }> {
    const proof = await key.proof({ method: 'POST', url: issuer.tokenEndpoint });
    const res = await fetch(issuer.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${issuer.clientId}:${issuer.clientSecret}`).toString('base64')}`,
        dpop: proof,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: issuer.audience }),
    });
    const body = (await res.json()) as { access_token?: string; token_type?: string; error?: string };
    if (res.status !== 200 || body.access_token === undefined) {
      throw new Error(`token endpoint answered ${res.status} ${JSON.stringify(body)}`);
    }
    return { token: body.access_token, tokenType: body.token_type ?? '' };
  }

  beforeAll(async () => {
    ({ child, issuer } = await startIssuer());
    key = await DpopKey.generate();
  });
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('issues a DPoP token bound to the client key (cnf.jkt)', async () => {
    const { token, tokenType } = await issuedToken();
    expect(tokenType).toBe('DPoP');
    expect(decodePayload(token)).toMatchObject({
      iss: issuer.issuer,
      aud: issuer.audience,
      cnf: { jkt: key.thumbprint },
    });
  });

  describe.each(ADAPTERS)('an app that trusts the issuer (%s)', (kind) => {
    let app: INestApplication;
    const call = (headers: Record<string, string>) =>
      request(app.getHttpServer()).get(ONLY).set('Host', DPOP_HOST).set(headers);
    const proofFor = (token: string, signer = key) =>
      signer.proof({ method: 'GET', url: `${DPOP_ORIGIN}${ONLY}`, accessToken: token });

    beforeAll(async () => {
      const publicKey = createPublicKey({ key: issuer.publicJwk, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      app = await createApp(
        kind,
        dpopAppMetadata({
          algorithm: 'ES256',
          issuer: issuer.issuer,
          audience: issuer.audience,
          verificationKeys: [{ kid: issuer.publicJwk.kid, publicKey: publicKey.toString() }],
        }),
      );
    });
    afterAll(async () => {
      await app?.close();
    });

    it('accepts the token with a proof of the client key', async () => {
      const { token } = await issuedToken();
      const res = await call({ Authorization: `DPoP ${token}`, DPoP: await proofFor(token) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: issuer.clientId, keyThumbprint: key.thumbprint });
    });

    it('refuses it stolen: as Bearer, without a proof, with a proof of another key, and replayed', async () => {
      const { token } = await issuedToken();
      expectProblem(await call({ Authorization: `Bearer ${token}` }), 401, ErrorCode.UNAUTHENTICATED);
      expectProblem(await call({ Authorization: `DPoP ${token}` }), 401, ErrorCode.DPOP_PROOF_INVALID);
      const thief = await DpopKey.generate();
      expectProblem(
        await call({ Authorization: `DPoP ${token}`, DPoP: await proofFor(token, thief) }),
        401,
        ErrorCode.DPOP_PROOF_INVALID,
      );
      const headers = { Authorization: `DPoP ${token}`, DPoP: await proofFor(token) };
      expect((await call(headers)).status).toBe(200);
      expectProblem(await call(headers), 401, ErrorCode.DPOP_PROOF_INVALID);
    });
  });
});
