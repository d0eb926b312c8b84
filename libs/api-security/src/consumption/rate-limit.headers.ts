import type { ConsumeResult } from '../store/security-store';
import type { RateLimitPlan } from '../plan/route-plan';
import type { RateLimitHeaderStyle } from './rate-limit.options';

/**
 * `RateLimit-Policy` of a route, computed once per route: every tier as
 * `"name";q=<limit>;w=<window seconds>` (draft-ietf-httpapi-ratelimit-headers).
 */
export function policyHeader(plan: RateLimitPlan): string {
  return plan.tiers.map((tier) => `"${tier.name}";q=${tier.limit};w=${tier.windowSeconds}`).join(', ');
}

/**
 * Header fields for one request's counters, in the configured style. The IETF fields list every
 * tier; the legacy single-tier fields report the refusing tier on a 429 (`refused`, the one that
 * sets Retry-After), else the tightest: the fewest units left. Named in lowercase, as the security
 * headers are: Node sets such a name without making a new string (see `lowerCased` in
 * security-headers.service.ts).
 */
export function rateLimitHeaders(
  style: RateLimitHeaderStyle,
  plan: RateLimitPlan,
  policy: string,
  results: readonly ConsumeResult[],
  refused?: number,
): [string, string][] {
  if (style === 'none') return [];
  const headers: [string, string][] = [];
  let tightest = 0;
  // Joined as it goes: an array and its join cost more than the one or two tiers a route has.
  let items = '';
  for (let i = 0; i < results.length; i++) {
    const remaining = Math.max(0, plan.tiers[i].limit - results[i].hits);
    const reset = Math.max(0, Math.ceil(results[i].resetMs / 1000));
    items += `${i > 0 ? ', ' : ''}"${plan.tiers[i].name}";r=${remaining};t=${reset}`;
    const tightestRemaining = Math.max(0, plan.tiers[tightest].limit - results[tightest].hits);
    if (remaining < tightestRemaining) tightest = i;
  }
  if (refused !== undefined) tightest = refused;
  if (style === 'ietf' || style === 'both') {
    headers.push(['ratelimit-policy', policy], ['ratelimit', items]);
  }
  if (style === 'legacy' || style === 'both') {
    const tier = plan.tiers[tightest];
    headers.push(
      ['ratelimit-limit', String(tier.limit)],
      ['ratelimit-remaining', String(Math.max(0, tier.limit - results[tightest].hits))],
      ['ratelimit-reset', String(Math.max(0, Math.ceil(results[tightest].resetMs / 1000)))],
    );
  }
  return headers;
}
