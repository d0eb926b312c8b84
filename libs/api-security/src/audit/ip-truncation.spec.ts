import { resolveApiSecurityOptions } from '../api-security.options';
import { truncateIp } from './ip-truncation';

describe('truncateIp', () => {
  const policy = { v4: 24, v6: 48 };

  it('keeps addresses whole with none', () => {
    expect(truncateIp('203.0.113.77', 'none')).toBe('203.0.113.77');
  });

  it('keeps the leading bits as a network', () => {
    expect(truncateIp('203.0.113.77', policy)).toBe('203.0.113.0/24');
    expect(truncateIp('2001:db8:abcd:12:34::1', policy)).toBe('2001:db8:abcd::/48');
    expect(truncateIp('::ffff:203.0.113.77', policy)).toBe('203.0.113.0/24');
    expect(truncateIp('fe80::1%eth0', policy)).toBe('fe80::/48');
    expect(truncateIp('203.0.113.77', { v4: 16, v6: 32 })).toBe('203.0.0.0/16');
    expect(truncateIp('203.0.113.77', { v4: 0, v6: 0 })).toBe('0.0.0.0/0');
    expect(truncateIp('203.0.113.77', { v4: 32, v6: 128 })).toBe('203.0.113.77');
  });

  it('leaves out what it cannot parse instead of storing it whole', () => {
    expect(truncateIp('not an address', policy)).toBeUndefined();
    expect(truncateIp('unix:/tmp/socket', policy)).toBeUndefined();
  });
});

describe('audit.ipTruncation option', () => {
  it("defaults to 'none' and fills in v4 24 / v6 48", () => {
    expect(resolveApiSecurityOptions({}).audit.ipTruncation).toBe('none');
    expect(resolveApiSecurityOptions({ audit: { ipTruncation: {} } }).audit.ipTruncation).toEqual({ v4: 24, v6: 48 });
    expect(resolveApiSecurityOptions({ audit: { ipTruncation: { v4: 16 } } }).audit.ipTruncation).toEqual({
      v4: 16,
      v6: 48,
    });
  });

  it('refuses prefix lengths out of range', () => {
    expect(() => resolveApiSecurityOptions({ audit: { ipTruncation: { v4: 33 } } })).toThrow(/ipTruncation\.v4/);
    expect(() => resolveApiSecurityOptions({ audit: { ipTruncation: { v6: 1.5 } } })).toThrow(/ipTruncation\.v6/);
    expect(() => resolveApiSecurityOptions({ audit: { ipTruncation: 'half' as never } })).toThrow(/ipTruncation/);
  });
});
