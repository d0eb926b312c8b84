import { resolveApiSecurityOptions } from '../api-security.options';
import { DpopNonceService } from './dpop-nonce.service';

describe('DpopNonceService', () => {
  const options = resolveApiSecurityOptions({
    production: false,
    audit: { accountHashKey: 'k'.repeat(32) },
    dpop: { nonce: true, nonceLifetimeSeconds: 60 },
  });
  let now = 1_800_000_000_000;
  const service = new DpopNonceService(options, () => now);

  it('accepts its nonce in its window and the next one, not after', () => {
    const nonce = service.issue();
    expect(service.isValid(nonce)).toBe(true);
    now += 60_000;
    expect(service.isValid(nonce)).toBe(true);
    expect(service.issue()).not.toBe(nonce);
    now += 60_000;
    expect(service.isValid(nonce)).toBe(false);
  });

  it('calls a valid nonce stale once its window has passed (the server then sends the next one)', () => {
    const nonce = service.issue();
    expect(service.isStale(nonce)).toBe(false);
    now += 60_000;
    expect(service.isValid(nonce)).toBe(true);
    expect(service.isStale(nonce)).toBe(true);
    expect(service.isStale(service.issue())).toBe(false);
  });

  it('accepts a nonce of another instance with the same key, not one of a server with another key', () => {
    const sameKey = new DpopNonceService(options, () => now);
    const otherKey = new DpopNonceService(
      resolveApiSecurityOptions({ production: false, audit: { accountHashKey: 'o'.repeat(32) } }),
      () => now,
    );
    expect(service.isValid(sameKey.issue())).toBe(true);
    expect(service.isValid(otherKey.issue())).toBe(false);
  });

  it.each([undefined, 42, '', 'abc', `zz.${'A'.repeat(43)}`, `${'1'.repeat(13)}.${'A'.repeat(43)}`])(
    'refuses %j',
    (nonce) => {
      expect(service.isValid(nonce)).toBe(false);
    },
  );

  it('refuses a nonce whose window was changed (the MAC covers it)', () => {
    const [, mac] = service.issue().split('.');
    const future = (Math.floor(now / 60_000) + 1).toString(36);
    expect(service.isValid(`${future}.${mac}`)).toBe(false);
  });
});
