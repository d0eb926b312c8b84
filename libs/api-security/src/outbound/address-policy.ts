import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** One special-purpose range an outbound connection may never reach, with the name used in logs and events. */
export interface BlockedRange {
  readonly cidr: string;
  readonly name: string;
}

/**
 * IPv4 special-purpose ranges (IANA IPv4 Special-Purpose Address Registry, RFC 6890 and successors).
 * Every one of them is refused; on top of that ipaddr.js must classify the address as `unicast`.
 */
export const BLOCKED_IPV4_RANGES: readonly BlockedRange[] = Object.freeze([
  { cidr: '0.0.0.0/8', name: 'this-network' },
  { cidr: '10.0.0.0/8', name: 'private' },
  { cidr: '100.64.0.0/10', name: 'carrier-grade-nat' },
  { cidr: '127.0.0.0/8', name: 'loopback' },
  { cidr: '169.254.0.0/16', name: 'link-local' },
  { cidr: '172.16.0.0/12', name: 'private' },
  { cidr: '192.0.0.0/24', name: 'ietf-protocol-assignments' },
  { cidr: '192.0.2.0/24', name: 'documentation' },
  { cidr: '192.31.196.0/24', name: 'as112' },
  { cidr: '192.52.193.0/24', name: 'amt' },
  { cidr: '192.88.99.0/24', name: '6to4-relay' },
  { cidr: '192.168.0.0/16', name: 'private' },
  { cidr: '192.175.48.0/24', name: 'as112' },
  { cidr: '198.18.0.0/15', name: 'benchmarking' },
  { cidr: '198.51.100.0/24', name: 'documentation' },
  { cidr: '203.0.113.0/24', name: 'documentation' },
  { cidr: '224.0.0.0/4', name: 'multicast' },
  { cidr: '240.0.0.0/4', name: 'reserved' },
  { cidr: '255.255.255.255/32', name: 'broadcast' },
]);

/**
 * IPv6 ranges refused inside the global unicast block 2000::/3, and the named ranges outside it
 * (everything outside 2000::/3 is refused anyway; the names only make logs readable).
 */
export const BLOCKED_IPV6_RANGES: readonly BlockedRange[] = Object.freeze([
  { cidr: '::/128', name: 'unspecified' },
  { cidr: '::1/128', name: 'loopback' },
  { cidr: '::ffff:0:0/96', name: 'ipv4-mapped' },
  { cidr: '::/96', name: 'ipv4-compatible' },
  { cidr: '64:ff9b::/96', name: 'nat64' },
  { cidr: '64:ff9b:1::/48', name: 'nat64-local' },
  { cidr: '100::/64', name: 'discard-only' },
  { cidr: '2001::/32', name: 'teredo' },
  { cidr: '2001::/23', name: 'ietf-protocol-assignments' },
  { cidr: '2001:db8::/32', name: 'documentation' },
  { cidr: '2002::/16', name: '6to4' },
  { cidr: '3fff::/20', name: 'documentation' },
  { cidr: 'fc00::/7', name: 'unique-local' },
  { cidr: 'fe80::/10', name: 'link-local' },
  { cidr: 'fec0::/10', name: 'site-local' },
  { cidr: 'ff00::/8', name: 'multicast' },
]);

/** The only IPv6 block holding globally routable unicast addresses today. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

type ParsedRange = readonly [Address, number, string];

const V4: readonly ParsedRange[] = BLOCKED_IPV4_RANGES.map(({ cidr, name }) => [...ipaddr.parseCIDR(cidr), name]);
const V6: readonly ParsedRange[] = BLOCKED_IPV6_RANGES.map(({ cidr, name }) => [...ipaddr.parseCIDR(cidr), name]);

/** Parses a bare IP address as it appears in a socket or a resolver answer (no brackets, optional zone). */
export function parseIpAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // Only the strict forms: resolvers and sockets never produce `127.1` or `0x7f.1`, and a
  // literal from a URL has already been normalised by the WHATWG parser.
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return undefined;
}

/**
 * Why an address is not a globally routable unicast address, or `undefined` when it is one.
 * Fails closed: anything unparsable or unknown is refused.
 */
export function blockedRangeOf(text: string): string | undefined {
  const address = parseIpAddress(text);
  if (!address) return 'not-an-ip-address';
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).zoneId !== undefined) return 'scoped-address';
  const ranges = address.kind() === 'ipv4' ? V4 : V6;
  for (const [network, bits, name] of ranges) {
    if (network.kind() === address.kind() && address.match(network, bits)) return name;
  }
  if (address.kind() === 'ipv6' && !address.match(GLOBAL_UNICAST_V6)) return 'reserved';
  // Second opinion from ipaddr.js's own table, so a range missing above is still refused.
  const range = address.range();
  return range === 'unicast' ? undefined : range;
}

/** A CIDR an operator chose to allow despite it being special-purpose (tests, trusted internal services). */
export interface AllowedCidr {
  readonly network: Address;
  readonly bits: number;
  readonly text: string;
}

/** Parses `10.1.2.0/24`, `::1/128` or a bare address (a one-address range); `undefined` when invalid. */
export function parseCidr(text: string): AllowedCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  if (ipaddr.isValidCIDR(trimmed)) {
    const [network, bits] = ipaddr.parseCIDR(trimmed);
    // Only the strict IPv4 form: `127.1/32` is too easy to misread in a security setting.
    if (network.kind() === 'ipv4' && !ipaddr.IPv4.isValidCIDRFourPartDecimal(trimmed)) return undefined;
    return { network, bits, text: `${network.toString()}/${bits}` };
  }
  const address = parseIpAddress(trimmed);
  if (!address) return undefined;
  const bits = address.kind() === 'ipv4' ? 32 : 128;
  return { network: address, bits, text: `${address.toString()}/${bits}` };
}

/** The verdict on one address. */
export type AddressVerdict = { readonly allowed: true } | { readonly allowed: false; readonly range: string };

/**
 * Decides which IP addresses an outbound connection may reach: globally routable unicast only,
 * plus any explicitly allowed CIDR. An IPv4-mapped IPv6 address is judged as IPv6 (refused), never
 * unwrapped: `::ffff:127.0.0.1` is only allowed by an IPv6 CIDR that covers it.
 */
export class AddressPolicy {
  private readonly allowed: readonly AllowedCidr[];

  constructor(allowCidrs: readonly string[] = []) {
    this.allowed = allowCidrs.map((text) => {
      const cidr = parseCidr(text);
      if (!cidr) throw new TypeError(`Not a CIDR: ${JSON.stringify(text)}`);
      return cidr;
    });
  }

  check(address: string): AddressVerdict {
    const parsed = parseIpAddress(address);
    if (parsed && this.allowed.some((c) => c.network.kind() === parsed.kind() && parsed.match(c.network, c.bits))) {
      return { allowed: true };
    }
    const range = blockedRangeOf(address);
    return range === undefined ? { allowed: true } : { allowed: false, range };
  }
}
