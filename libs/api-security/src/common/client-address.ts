import { isIP } from 'node:net';
import { normalizeIp } from '@nestjs/throttler';
import ipaddr from 'ipaddr.js';

/**
 * The rate-limit identity of an anonymous client: its IPv4 address, or its IPv6 network cut to
 * `prefixLength` bits (one subscriber usually holds a whole /64 and can rotate through it at will).
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`, as dual-stack sockets report IPv4 clients) counts as the
 * IPv4 address. The address is the one the HTTP adapter computed under its own trust-proxy setting:
 * `X-Forwarded-For` is never read here, so a client cannot pick its own identity. The grouping is
 * @nestjs/throttler's own `normalizeIp`, so a throttler tracker and this key agree.
 */
export function clientAddressKey(address: string | undefined, prefixLength: number): string {
  if (!address) return 'unknown';
  const normalized = normalizeIp(address, prefixLength);
  // normalizeIp hands back what it could not parse: still one stable bucket, never one per request.
  if (normalized === address && isIP(address) === 0) return `raw:${address.slice(0, 64)}`;
  return normalized;
}

function networkOf(address: ipaddr.IPv6, prefixLength: number): string {
  const bytes = address.toByteArray();
  for (let bit = prefixLength; bit < 128; bit++) {
    bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/**
 * The coarse network of an anonymous client, shared by every client in it: IPv4 /16, IPv6 /48.
 * It is the bucket new anonymous clients fall back to while the table of per-client buckets is
 * full, so a spray of new addresses turns into refusals for those networks, not into memory growth.
 */
export function clientNetworkKey(address: string | undefined): string {
  if (!address) return 'unknown';
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.includes('%') ? address.slice(0, address.indexOf('%')) : address);
  } catch {
    return 'raw';
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (!v6.isIPv4MappedAddress()) return `${networkOf(v6, 48)}/48`;
    parsed = v6.toIPv4Address();
  }
  const [a, b] = (parsed as ipaddr.IPv4).octets;
  return `${a}.${b}.0.0/16`;
}
