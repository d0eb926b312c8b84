export { SafeHttpClient } from './safe-http.client';
export type {
  OutboundEventContext,
  SafeHttpMethod,
  SafeHttpRequest,
  SafeHttpResponse,
} from './safe-http.client';
export { fetchValidated } from './validated-fetch';
export type { FetchValidatedOptions, ThirdPartyInvalidReason } from './validated-fetch';
export { OutboundFailedError, OutboundRefusedError, ThirdPartyInvalidError } from './outbound.errors';
export type { OutboundRefusal } from './outbound.errors';
export { DEFAULT_OUTBOUND_OPTIONS, OUTBOUND_SCHEMES } from './outbound.options';
export type { OutboundOptions, OutboundScheme, ResolvedOutboundOptions } from './outbound.options';
export { SystemDnsResolver } from './dns-resolver';
export type { DnsResolver, ResolvedAddress } from './dns-resolver';
export { AddressPolicy, BLOCKED_IPV4_RANGES, BLOCKED_IPV6_RANGES, blockedRangeOf } from './address-policy';
export type { AddressVerdict, BlockedRange } from './address-policy';
