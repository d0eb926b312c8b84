import { generateKeyPairSync } from 'node:crypto';
import { checkJwksUrl, checkKid, checkPrivateKeyPem, checkPublicKeyPem, keyMismatch } from './jwt-key.checks';

describe('JWT key checks', () => {
  describe('checkJwksUrl', () => {
    it.each([
      'https://issuer.example.com/.well-known/jwks.json',
      'http://127.0.0.1:8080/jwks.json',
      'http://localhost/jwks',
      'http://[::1]:9000/jwks',
    ])('accepts %s', (url) => {
      expect(checkJwksUrl(url)).toBeUndefined();
    });

    it.each<[unknown, RegExp]>([
      ['http://issuer.example.com/jwks.json', /must use https/],
      ['http://10.0.0.1/jwks.json', /must use https/],
      ['http://127.0.0.1.evil.example/jwks.json', /must use https/],
      ['ftp://issuer.example.com/jwks.json', /must use https/],
      ['file:///etc/passwd', /must use https/],
      ['not a url', /is not a URL/],
      [42, /must be a URL string/],
      ['https://issuer.example.com/jwks#frag', /fragment/],
    ])('refuses %p', (url, message) => {
      const problem = checkJwksUrl(url);
      expect(problem).toMatch(message);
      expect(problem).toContain('jwt.jwksUrl');
    });

    it('refuses credentials without echoing them', () => {
      const problem = checkJwksUrl('https://user:hunter2@issuer.example.com/jwks.json');
      expect(problem).toMatch(/credentials/);
      expect(problem).not.toContain('hunter2');
    });
  });

  it('checkKid accepts printable ids and refuses empty, long, spaced or control characters', () => {
    expect(checkKid('2024-01_key.A', 'k')).toBeUndefined();
    for (const bad of ['', 'a b', 'x'.repeat(129), 'a\nb', 'é', 7]) expect(checkKid(bad, 'k')).toMatch(/^k must be/);
  });

  it('keyMismatch names what the algorithm needs', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    expect(keyMismatch(ec, 'ES256')).toBeUndefined();
    expect(keyMismatch(ec, 'EdDSA')).toBe('an Ed25519 key');
    expect(keyMismatch(ed, 'RS256')).toBe('an RSA key of at least 2048 bits');
  });

  it('checkPrivateKeyPem explains SEC1, encrypted and public PEMs without echoing them', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const encrypted = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass' })
      .toString();
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(checkPrivateKeyPem(sec1, 'ES256')).toMatch(/not SEC1/);
    expect(checkPrivateKeyPem(encrypted, 'ES256')).toMatch(/unencrypted/);
    expect(checkPrivateKeyPem(spki, 'ES256')).toMatch(/PKCS#8 PEM/);
    const broken = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----';
    expect(checkPrivateKeyPem(broken, 'ES256')).toMatch(/could not be read/);
    for (const pem of [sec1, spki]) expect(checkPrivateKeyPem(pem, 'ES256')).not.toContain(pem.split('\n')[1]);
    expect(checkPrivateKeyPem(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'ES256')).toBeUndefined();
  });

  it('checkPublicKeyPem wants an SPKI key of the algorithm', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(checkPublicKeyPem(spki, 'EdDSA', 'k')).toBeUndefined();
    expect(checkPublicKeyPem(spki, 'ES256', 'k')).toMatch(/^k must be an EC key on curve P-256/);
    expect(checkPublicKeyPem(privateKey.export({ type: 'pkcs8', format: 'pem' }), 'EdDSA', 'k')).toMatch(/SPKI PEM/);
  });
});
