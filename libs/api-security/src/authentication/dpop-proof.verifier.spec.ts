import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { resolveApiSecurityOptions } from '../api-security.options';
import type { SecurityRequest } from '../common/security-principal';
import { MemorySecurityStore } from '../store/memory.store';
import { DpopKey } from '../testing/dpop.forge';
import { accessTokenHash, confirmationThumbprint } from './dpop-claims';
import { DpopNonceService } from './dpop-nonce.service';
import { dpopJtiKey, DpopProofVerifier, normalizedHtu, requestHtu } from './dpop-proof.verifier';
import { DpopRefusal } from './dpop-refusal';
import { JwtRefusal } from './jwt-refusal';

const NOW = 1_800_000_000;
const TOKEN = 'header.payload.signature';
const URL_SEEN = 'https://api.example.com/api/orders/7';

function requestFor(proof: string | string[] | undefined, extra: Record<string, unknown> = {}): SecurityRequest {
  return {
    headers: { host: 'api.example.com', ...(proof !== undefined ? { dpop: proof } : {}) },
    method: 'GET',
    url: '/api/orders/7?page=2',
    protocol: 'https',
    ...extra,
  } as SecurityRequest;
}

async function setup(dpop = {}) {
  const options = resolveApiSecurityOptions({ production: false, dpop });
  const store = new MemorySecurityStore();
  const events: SecurityEvent[] = [];
  const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
  const clock = () => NOW * 1000;
  const nonces = new DpopNonceService(options, clock);
  const verifier = new DpopProofVerifier(options, store, nonces, bus, clock);
  const key = await DpopKey.generate();
  const proof = (claims: Record<string, unknown> = {}) =>
    key.proof({ method: 'GET', url: URL_SEEN, accessToken: TOKEN, iat: NOW, claims });
  const refusal = async (request: SecurityRequest): Promise<string | undefined> => {
    try {
      await verifier.verify(request, TOKEN, key.thumbprint);
      return undefined;
    } catch (error) {
      if (error instanceof DpopRefusal) return error.reason;
      throw error;
    }
  };
  return { verifier, store, events, key, proof, refusal, nonces };
}

describe('normalizedHtu / requestHtu', () => {
  it.each([
    ['https://API.example.com:443/a/b?x=1#f', 'https://api.example.com/a/b'],
    ['HTTP://api.example.com:80/a/./b/../c', 'http://api.example.com/a/c'],
    ['https://api.example.com:8443/a', 'https://api.example.com:8443/a'],
    ['https://api.example.com', 'https://api.example.com/'],
  ])('%s → %s', (url, normalized) => {
    expect(normalizedHtu(url)).toBe(normalized);
  });

  it.each(['ftp://api.example.com/a', 'javascript:alert(1)', '/relative', 'not a url'])('refuses %s', (url) => {
    expect(normalizedHtu(url)).toBeUndefined();
  });

  it('is the scheme the adapter computed, its host (forwarded only when it trusts the proxy), and the path without query', () => {
    expect(requestHtu(requestFor(undefined))).toBe(URL_SEEN);
    expect(requestHtu(requestFor(undefined, { protocol: 'http', host: 'edge.example.com:8080' }))).toBe(
      'http://edge.example.com:8080/api/orders/7',
    );
    // Express under a mount point rewrites url; originalUrl is what the client asked for.
    expect(requestHtu(requestFor(undefined, { url: '/7', originalUrl: '/api/orders/7' }))).toBe(URL_SEEN);
    expect(requestHtu({ headers: {}, method: 'GET', url: '/x' })).toBeUndefined();
  });
});

describe('confirmationThumbprint', () => {
  const jkt = 'A'.repeat(43);
  it('reads cnf.jkt, and nothing when there is no cnf', () => {
    expect(confirmationThumbprint({ cnf: { jkt } })).toBe(jkt);
    expect(confirmationThumbprint({})).toBeUndefined();
  });

  it.each([{ cnf: 'x' }, { cnf: null }, { cnf: [] }, { cnf: { jkt: 'short' } }, { cnf: { 'x5t#S256': jkt } }])(
    'refuses a binding it cannot check: %j',
    (claims) => {
      expect(() => confirmationThumbprint(claims)).toThrow(JwtRefusal);
    },
  );
});

describe('DpopProofVerifier.verify', () => {
  it('accepts a valid proof once and marks its jti in the store under the key thumbprint', async () => {
    const { refusal, proof, store, key } = await setup();
    const signed = await proof({ jti: 'one' });
    expect(await refusal(requestFor(signed))).toBeUndefined();
    expect(await store.get(dpopJtiKey(key.thumbprint, 'one'))).toBe('1');
    expect(await refusal(requestFor(signed))).toBe('dpop_replayed');
  });

  it('does not spend the jti of a refused proof', async () => {
    const { refusal, key } = await setup();
    const wrong = await key.proof({ method: 'POST', url: URL_SEEN, accessToken: TOKEN, iat: NOW, jti: 'kept' });
    expect(await refusal(requestFor(wrong))).toBe('dpop_htm_mismatch');
    const right = await key.proof({ method: 'GET', url: URL_SEEN, accessToken: TOKEN, iat: NOW, jti: 'kept' });
    expect(await refusal(requestFor(right))).toBeUndefined();
  });

  it('takes iat up to proofMaxAgeSeconds old and up to the clock tolerance ahead', async () => {
    const { refusal, proof } = await setup({ proofMaxAgeSeconds: 30 });
    expect(await refusal(requestFor(await proof({ iat: NOW - 30 })))).toBeUndefined();
    expect(await refusal(requestFor(await proof({ iat: NOW - 31 })))).toBe('dpop_iat_out_of_window');
    expect(await refusal(requestFor(await proof({ iat: NOW + 5 })))).toBeUndefined();
    expect(await refusal(requestFor(await proof({ iat: NOW + 6 })))).toBe('dpop_iat_out_of_window');
  });

  it.each([
    [{ jti: undefined }, 'dpop_invalid_claims'],
    [{ jti: 'x'.repeat(257) }, 'dpop_invalid_claims'],
    [{ htm: undefined }, 'dpop_invalid_claims'],
    [{ iat: '1800000000' }, 'dpop_invalid_claims'],
    [{ htu: 'https://api.example.com/api/orders/8' }, 'dpop_htu_mismatch'],
    [{ htu: 'http://api.example.com/api/orders/7' }, 'dpop_htu_mismatch'],
    [{ ath: accessTokenHash('another.token.value') }, 'dpop_ath_mismatch'],
  ])('refuses claims %j: %s', async (claims, reason) => {
    const { refusal, proof } = await setup();
    expect(await refusal(requestFor(await proof(claims)))).toBe(reason);
  });

  it('refuses a missing, doubled, oversized or non-JWS proof header', async () => {
    const { refusal, proof } = await setup();
    expect(await refusal(requestFor(undefined))).toBe('dpop_proof_missing');
    expect(await refusal(requestFor([await proof(), await proof()]))).toBe('dpop_proof_malformed');
    expect(await refusal(requestFor(`${await proof()}, ${await proof()}`))).toBe('dpop_proof_malformed');
    expect(await refusal(requestFor('a'.repeat(9000)))).toBe('dpop_proof_malformed');
    expect(await refusal(requestFor('not-a-jws'))).toBe('dpop_proof_malformed');
  });

  it('refuses a proof whose key is not the bound one', async () => {
    const { verifier, proof } = await setup();
    await expect(verifier.verify(requestFor(await proof()), TOKEN, 'B'.repeat(43))).rejects.toMatchObject({
      reason: 'dpop_key_mismatch',
    });
  });

  it('lets a store outage through (the request fails closed, it is never let in)', async () => {
    const { verifier, proof, store, key } = await setup();
    jest.spyOn(store, 'setIfAbsent').mockRejectedValueOnce(new Error('store down'));
    await expect(verifier.verify(requestFor(await proof()), TOKEN, key.thumbprint)).rejects.toThrow('store down');
  });

  it('with nonces on: no nonce and a foreign one are refused; the issued one passes', async () => {
    const { refusal, proof, nonces } = await setup({ nonce: true });
    const nonce = nonces.issue();
    expect(await refusal(requestFor(await proof()))).toBe('dpop_nonce_required');
    expect(await refusal(requestFor(await proof({ nonce: `${nonce.split('.')[0]}.${'A'.repeat(43)}` })))).toBe(
      'dpop_nonce_required',
    );
    expect(await refusal(requestFor(await proof({ nonce })))).toBeUndefined();
  });

  it('check: returns the next nonce when the proof used one of the previous window, nothing otherwise', async () => {
    const options = resolveApiSecurityOptions({ production: false, dpop: { nonce: true, nonceLifetimeSeconds: 60 } });
    let now = NOW * 1000;
    const clock = () => now;
    const bus = { emit: () => undefined } as unknown as SecurityEventBus;
    const nonces = new DpopNonceService(options, clock);
    const verifier = new DpopProofVerifier(options, new MemorySecurityStore(), nonces, bus, clock);
    const key = await DpopKey.generate();
    const principal = { id: 'u', roles: [], scopes: [], authMethod: 'jwt', keyThumbprint: key.thumbprint };
    const checked = async (nonce: string) =>
      verifier.check(
        requestFor(
          await key.proof({ method: 'GET', url: URL_SEEN, accessToken: TOKEN, iat: Math.floor(now / 1000), nonce }),
        ),
        { scheme: 'DPoP', token: TOKEN },
        principal,
      );
    const first = nonces.issue();
    expect(await checked(first)).toBeUndefined();
    now += 60_000;
    const next = await checked(first);
    expect(next).toBe(nonces.issue());
    expect(next).not.toBe(first);
    expect(await checked(next as string)).toBeUndefined();
  });
});
