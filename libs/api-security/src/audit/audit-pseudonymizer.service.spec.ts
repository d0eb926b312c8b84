import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  ApiSecurityConfigError,
  resolveApiSecurityOptions,
  type ApiSecurityModuleOptions,
} from '../api-security.options';
import { AuditPseudonymizer } from './audit-pseudonymizer.service';

const KEY_A = 'first deployment key, at least 32 bytes';
const KEY_B = 'second deployment key, at least 32 bytes';
const pseudonymizer = (options: ApiSecurityModuleOptions) => new AuditPseudonymizer(resolveApiSecurityOptions(options));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('AuditPseudonymizer', () => {
  it('is an HMAC under the key: the same email gets another id under another key, and never its bare SHA-256', () => {
    const a = pseudonymizer({ audit: { accountHashKey: KEY_A } });
    const b = pseudonymizer({ audit: { accountHashKey: Buffer.from(KEY_B) } });
    const email = 'alice@example.com';
    expect(a.account(email)).toMatch(/^[0-9a-f]{64}$/);
    expect(a.account(email)).not.toBe(b.account(email));
    expect(a.account(email)).not.toBe(sha256(email));
    expect(a.account(email)).toBe(pseudonymizer({ audit: { accountHashKey: KEY_A } }).account(email));
    expect(a.account('  Alice@Example.COM ')).toBe(a.account(email));
    expect(a.account('bob@example.com')).not.toBe(a.account(email));
  });

  it('keeps accounts, clients and other subjects apart even for the same text', () => {
    const p = pseudonymizer({ audit: { accountHashKey: KEY_A } });
    expect(p.account('203.0.113.7')).not.toBe(p.client('203.0.113.7'));
    expect(p.subject('ip', '203.0.113.7')).not.toBe(p.subject('principal', '203.0.113.7'));
    expect(p.subject('ip', '203.0.113.7')).toHaveLength(22);
  });

  it('buckets clients: IPv4-mapped as IPv4, IPv6 by its /64, no address as one shared bucket', () => {
    const p = pseudonymizer({ audit: { accountHashKey: KEY_A } });
    expect(p.client('::ffff:203.0.113.7')).toBe(p.client('203.0.113.7'));
    expect(p.client('2001:db8:1:2:aaaa::1')).toBe(p.client('2001:db8:1:2:bbbb::9'));
    expect(p.client('2001:db8:1:3::1')).not.toBe(p.client('2001:db8:1:2::1'));
    expect(p.client('')).toBe(p.client(undefined));
    expect(p.client('203.0.113.7')).not.toBe(sha256('203.0.113.7'));
  });

  it('derives a stable key from the JWT signing secret when none is configured', () => {
    const secret = 'an HS256 secret that is long enough!!';
    const hs = (s: string) => pseudonymizer({ jwt: { algorithm: 'HS256', secret: s } });
    expect(hs(secret).account('a@example.com')).toBe(hs(secret).account('a@example.com'));
    expect(hs(secret).account('a@example.com')).not.toBe(hs(`${secret}?`).account('a@example.com'));
    expect(resolveApiSecurityOptions({ jwt: { algorithm: 'HS256', secret } }).audit.accountHashKeySource).toBe(
      'derived',
    );
    // The derived key is not the JWT secret itself.
    expect(hs(secret).account('a@example.com')).not.toBe(
      pseudonymizer({ audit: { accountHashKey: secret } }).account('a@example.com'),
    );

    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const es = (pem: string) => pseudonymizer({ jwt: { privateKey: pem } });
    // Same key, other line endings: same pseudonyms on every instance.
    expect(es(privateKey).account('a@example.com')).toBe(
      es(privateKey.replace(/\n/g, '\r\n')).account('a@example.com'),
    );
  });

  it('uses a random key per process outside production when nothing can derive one, and refuses to in production', () => {
    const one = resolveApiSecurityOptions({});
    expect(one.audit.accountHashKeySource).toBe('generated');
    expect(new AuditPseudonymizer(one).account('a@example.com')).not.toBe(
      new AuditPseudonymizer(resolveApiSecurityOptions({})).account('a@example.com'),
    );
    expect(() => resolveApiSecurityOptions({ production: true })).toThrow(
      /audit\.accountHashKey is required in production/,
    );
    expect(
      resolveApiSecurityOptions({ production: true, jwt: { algorithm: 'HS256', secret: 'x'.repeat(32) } }).audit
        .accountHashKeySource,
    ).toBe('derived');
  });

  it('refuses a short or mistyped key', () => {
    expect(() => resolveApiSecurityOptions({ audit: { accountHashKey: 'short' } })).toThrow(ApiSecurityConfigError);
    expect(() => resolveApiSecurityOptions({ audit: { accountHashKey: Buffer.alloc(31) } })).toThrow(
      /at least 32 bytes/,
    );
    expect(() => resolveApiSecurityOptions({ audit: { accountHashKey: 42 as never } })).toThrow(/at least 32 bytes/);
  });
});
