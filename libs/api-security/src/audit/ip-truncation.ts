import ipaddr from 'ipaddr.js';
import type { IpTruncation } from './audit-privacy.options';

/**
 * What a security event keeps of a client address under `audit.ipTruncation`: the address itself
 * with `'none'`; else its network, `prefix` leading bits kept (`203.0.113.0/24`, `2001:db8:1::/48`),
 * an IPv4-mapped IPv6 address counting as IPv4. An address that cannot be parsed cannot be truncated,
 * so it is left out (undefined) rather than stored whole.
 */
export function truncateIp(ip: string, policy: Readonly<Required<IpTruncation>> | 'none'): string | undefined {
  if (policy === 'none') return ip;
  const text = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  if (!ipaddr.isValid(text)) return undefined;
  const address = ipaddr.process(text);
  if (address.kind() === 'ipv4') {
    if (policy.v4 === 32) return address.toString();
    return `${ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${policy.v4}`).toString()}/${policy.v4}`;
  }
  if (policy.v6 === 128) return address.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${policy.v6}`).toString()}/${policy.v6}`;
}
