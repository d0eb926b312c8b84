import { clientAddressKey, clientNetworkKey } from './client-address';

describe('clientAddressKey', () => {
  it('keeps an IPv4 address as it is, and unwraps IPv4-mapped IPv6', () => {
    expect(clientAddressKey('203.0.113.7', 64)).toBe('203.0.113.7');
    expect(clientAddressKey('::ffff:203.0.113.7', 64)).toBe('203.0.113.7');
  });

  it('groups IPv6 clients by their /64 (or the configured prefix), so rotating the interface id does not help', () => {
    const a = clientAddressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64);
    expect(a).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:db8:1:2::1', 64)).toBe(a);
    expect(clientAddressKey('2001:db8:1:3::1', 64)).not.toBe(a);
    expect(clientAddressKey('2001:db8:1:3::1', 56)).toBe(clientAddressKey('2001:db8:1:2::1', 56));
    expect(clientAddressKey('2001:db8:1:2::1%eth0', 64)).toBe(a);
  });

  it('gives one stable bucket to what is not an IP address, and to a missing one', () => {
    expect(clientAddressKey(undefined, 64)).toBe('unknown');
    expect(clientAddressKey('unix-socket', 64)).toBe('raw:unix-socket');
  });
});

describe('clientNetworkKey', () => {
  it('groups IPv4 (mapped or not) by /16 and IPv6 by /48', () => {
    expect(clientNetworkKey('203.0.113.9')).toBe('203.0.0.0/16');
    expect(clientNetworkKey('::ffff:203.0.200.1')).toBe('203.0.0.0/16');
    expect(clientNetworkKey('2001:db8:1:2:3::4')).toBe('2001:db8:1::/48');
    expect(clientNetworkKey('2001:db8:1:ffff::1')).toBe('2001:db8:1::/48');
  });

  it('gives one bucket to what is not an address', () => {
    expect(clientNetworkKey(undefined)).toBe('unknown');
    expect(clientNetworkKey('unix-socket')).toBe('raw');
  });
});
