import { AddressPolicy, blockedRangeOf, parseCidr } from './address-policy';

describe('blockedRangeOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['100.127.255.255', 'carrier-grade-nat'],
    ['0.0.0.0', 'this-network'],
    ['0.1.2.3', 'this-network'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.0.0.8', 'ietf-protocol-assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['192.88.99.1', '6to4-relay'],
    ['192.31.196.1', 'as112'],
    ['192.175.48.1', 'as112'],
    ['192.52.193.1', 'amt'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'ipv4-mapped'],
    ['::ffff:7f00:1', 'ipv4-mapped'],
    ['::ffff:8.8.8.8', 'ipv4-mapped'],
    ['::7f00:1', 'ipv4-compatible'],
    ['::808:808', 'ipv4-compatible'],
    ['64:ff9b::7f00:1', 'nat64'],
    ['64:ff9b::808:808', 'nat64'],
    ['64:ff9b:1::1', 'nat64-local'],
    ['100::1', 'discard-only'],
    ['2001::1', 'teredo'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:2::1', 'ietf-protocol-assignments'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2002::1', '6to4'],
    ['2002:7f00:1::1', '6to4'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['ff00::', 'multicast'],
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    ['fe80::1%eth0', 'scoped-address'],
    ['127.1', 'not-an-ip-address'],
    ['2130706433', 'not-an-ip-address'],
    ['0x7f000001', 'not-an-ip-address'],
    ['0177.0.0.1', 'not-an-ip-address'],
    ['example.com', 'not-an-ip-address'],
    ['', 'not-an-ip-address'],
  ])('refuses %s (%s)', (address, range) => {
    expect(blockedRangeOf(address)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:830::200e',
    '2001:4860:4860::8888',
  ])('allows the public address %s', (address) => {
    expect(blockedRangeOf(address)).toBeUndefined();
  });
});

describe('AddressPolicy', () => {
  it('allows an explicitly allowed CIDR and nothing next to it', () => {
    const policy = new AddressPolicy(['127.0.0.2/32', '::1/128']);
    expect(policy.check('127.0.0.2')).toEqual({ allowed: true });
    expect(policy.check('::1')).toEqual({ allowed: true });
    expect(policy.check('127.0.0.1')).toEqual({ allowed: false, range: 'loopback' });
    expect(policy.check('127.0.0.3')).toEqual({ allowed: false, range: 'loopback' });
    // IPv4-mapped stays IPv6: an IPv4 CIDR never unlocks it.
    expect(policy.check('::ffff:127.0.0.2')).toEqual({ allowed: false, range: 'ipv4-mapped' });
    expect(policy.check('8.8.8.8')).toEqual({ allowed: true });
  });

  it('refuses to be built with something that is not a CIDR', () => {
    expect(() => new AddressPolicy(['127.0.0.0/33'])).toThrow(TypeError);
    expect(() => new AddressPolicy(['localhost'])).toThrow(TypeError);
  });
});

describe('parseCidr', () => {
  it('accepts CIDRs and bare addresses in canonical form, and refuses odd IPv4 notations', () => {
    expect(parseCidr('10.0.0.0/8')?.text).toBe('10.0.0.0/8');
    expect(parseCidr('127.0.0.1')?.text).toBe('127.0.0.1/32');
    expect(parseCidr('::1')?.text).toBe('::1/128');
    expect(parseCidr('fd00::/8')?.text).toBe('fd00::/8');
    expect(parseCidr('127.1/32')).toBeUndefined();
    expect(parseCidr('0x7f000001/32')).toBeUndefined();
    expect(parseCidr('10.0.0.0/40')).toBeUndefined();
    expect(parseCidr('nope')).toBeUndefined();
  });
});
