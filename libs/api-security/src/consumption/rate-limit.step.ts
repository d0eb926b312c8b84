import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import type { ThrottlerLimitDetail } from '@nestjs/throttler';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { eventContext } from '../audit/event-context';
import { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { rawResponse } from '../common/raw-http';
import { responseOf } from '../common/graphql-context';
import type { RateLimitPlan, RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { clearCredentialGate, setCredentialGate, type CredentialGate } from '../common/credential-gate';
import {
  offerRevocationDeferral,
  takeDeferredRevocation,
  type DeferredRevocation,
} from '../common/deferred-revocation';
import { ANONYMOUS_OVERFLOW_TRACKER } from '../store/key-purpose';
import type { ConsumeRequest, ConsumeResult } from '../store/security-store';
import { StoreFullError } from '../store/store-full.error';
import { clientAddressKey, clientNetworkKey } from '../common/client-address';
import { policyHeader, rateLimitHeaders } from './rate-limit.headers';
import type { ResolvedRateLimitOptions } from './rate-limit.options';
import { StoreThrottlerStorage } from './store-throttler.storage';

/** Per-route values computed at boot, when the chain asks {@link RateLimitStep.appliesTo} (plans are immutable). */
interface CompiledLimits {
  readonly policy: string;
  /** Key suffix per tier: route tiers carry the route, principal-wide tiers do not. */
  readonly suffixes: readonly string[];
  readonly requests: readonly Omit<ConsumeRequest, 'key'>[];
  /** The same counters read without charging: is there room for this route's cost? */
  readonly checks: readonly Omit<ConsumeRequest, 'key'>[];
  /**
   * A cached token's principal (the same frozen object on every request of the token) and its
   * counter keys on this route: built, and hashed by the store's map, once rather than per request.
   */
  readonly keysByPrincipal: WeakMap<SecurityPrincipal, PrincipalKeys>;
}

/** {@link RateLimitStep.getTracker}'s answer for a principal and the counter keys it gives on one route. */
interface PrincipalKeys {
  readonly tracker: string;
  readonly keys: readonly string[];
}

/** What the pre-check did: nothing to refuse, or it charged the address (and the request went on). */
export type RateLimitPrecheck = 'clear' | 'charged';

/**
 * The rate-limit step (`rate-limit`), the first of the security guard's chain. It uses
 * @nestjs/throttler by composition: its storage contract ({@link StoreThrottlerStorage}, usable
 * with `ThrottlerModule` too), its refusal detail and its hook names, without being a guard itself.
 *
 * Counting: the configured tiers and the global budget are one budget per principal (per IP when
 * anonymous) over every route; a route's own `@RateLimit` / `@Throttle` tiers are counted per route
 * on top. Every tier of a request is charged in one store call (one Redis script). Failed and
 * anonymous requests are charged to the client IP, authenticated ones to the principal: on a route
 * that authenticates, the step runs {@link around} the `authentication` step.
 *
 * Refusing before paying: before a costly credential check (signature verification, API-key
 * lookup, failure events), {@link precheck} reads, without charging, the counters a failed
 * authentication would be charged to (the IP's). When those already refuse, the request is charged
 * there and refused with 429 without the credential being looked at. (The principal's own counters
 * cannot be read first: who the principal is is only known once the credential is verified.)
 *
 * One round trip: the bearer-token authenticator leaves its revocation read to this step (see
 * `common/deferred-revocation`), which reads the records in the script that charges the request
 * (`consumeIfClear`) and charges nothing to a revoked token's principal; the request is then refused
 * with the authenticator's own 401 and event, and charged to the address. On such routes the
 * application's `PrincipalCheck` runs before the records are read (a revoked token of an inactive
 * subject is refused as inactive: 401 `invalid_token` either way).
 *
 * Subclass it, override the protected hooks to change the identity (`getTracker`), key layout
 * (`generateKey`) or refusal (`throwThrottlingException`), and `replace: 'rate-limit'`.
 */
@Injectable()
export class RateLimitStep implements SecurityStep {
  readonly name: string = 'rate-limit';
  /** The step {@link around} runs around: the charge needs to know who authenticated. */
  readonly wraps: string = 'authentication';
  protected readonly limits: ResolvedRateLimitOptions;
  private readonly compiled = new WeakMap<RateLimitPlan, CompiledLimits>();
  /**
   * Whether a token's revocation check may be merged into the charge: not when a subclass changes
   * {@link charge}, which then sees every charge as before (and authentication checks revocation).
   */
  private readonly mergesRevocation = this.charge === RateLimitStep.prototype.charge;
  /** Whether {@link getTracker} is this class's: its answer is then known without awaiting it. */
  private readonly ownTracker = this.getTracker === RateLimitStep.prototype.getTracker;
  /**
   * Whether a principal's tracker and keys may be remembered: only when both hooks are this class's,
   * whose answers depend on nothing but the principal's id (an override may read the request).
   */
  private readonly keysCacheable = this.ownTracker && this.generateKey === RateLimitStep.prototype.generateKey;

  constructor(
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    protected readonly storage: StoreThrottlerStorage,
    protected readonly events: SecurityEventBus,
  ) {
    this.limits = options.rateLimit;
  }

  /** Asked once per route at boot: the route's counter layout is compiled then, not on its first request. */
  appliesTo(plan: RoutePlan): boolean {
    if (plan.rateLimit === undefined) return false;
    this.limitsOf(plan.rateLimit, plan.key);
    return true;
  }

  /** On a route without authentication (public): charges the address. */
  async run({ request, plan, execution }: SecurityStepContext): Promise<void> {
    if (plan.rateLimit) await this.charge(execution, request, plan, plan.rateLimit);
  }

  /**
   * Around `authentication`: arms the pre-check as the request's credential gate, lets the
   * authentication run, charges the request (to the principal, or to the address when it failed,
   * unless the pre-check already did) and only then rethrows a refused authentication, so failures
   * count too.
   */
  async around(context: SecurityStepContext, authentication: SecurityStep): Promise<void> {
    const { request, plan, execution } = context;
    const rateLimit = plan.rateLimit;
    if (!rateLimit) return authentication.run(context);
    const gate = new PrecheckGate(this, execution, request, plan, rateLimit);
    setCredentialGate(request, gate);
    if (this.mergesRevocation) offerRevocationDeferral(request);
    let refused: unknown;
    try {
      await authentication.run(context);
    } catch (error) {
      refused = error;
    } finally {
      // The gate guards authentication only; left on the request it would keep this call's
      // context (and the response) reachable for as long as the connection keeps the request.
      clearCredentialGate(request);
    }
    // A token's revocation check left to this step: read with the charge, in one store call.
    const revocation = takeDeferredRevocation(request);
    if (revocation !== undefined && refused === undefined) {
      if (await this.chargeUnlessRevoked(execution, request, plan, rateLimit, revocation)) return;
      // Revoked: the request is refused like any other failed authentication, and charged to the address.
      delete request.principal;
      delete request.user;
      try {
        refused = await revocation.refuse();
      } catch (error) {
        refused = error;
      }
    }
    // Refused by the pre-check: already charged, and authentication never ran.
    if (gate.refusal !== undefined && refused === gate.refusal) throw refused;
    // A failed authentication is charged to the address, which the pre-check may have done already.
    const charged = gate.outcome === 'charged' && request.principal === undefined;
    if (!charged) await this.charge(execution, request, plan, rateLimit);
    if (refused !== undefined) throw refused;
  }

  /** @internal The credential gate's way in to the protected {@link precheck} hook. */
  runPrecheck(
    context: ExecutionContext,
    request: SecurityRequest,
    plan: RoutePlan,
    rateLimit: RateLimitPlan,
  ): Promise<RateLimitPrecheck> {
    return this.precheck(context, request, plan, rateLimit);
  }

  /**
   * Runs before authentication (at most once per request, and only when a credential check would
   * cost something). Reads the counters this request would be charged to if its authentication
   * failed, without charging them; when they already refuse, charges them (so the client's crossing
   * of the limit is reported once) and throws the 429. Answers `charged` in the rare case the
   * charge was admitted after all (a window ended in between): the request must not be charged to
   * the address again.
   */
  protected async precheck(
    context: ExecutionContext,
    request: SecurityRequest,
    plan: RoutePlan,
    rateLimit: RateLimitPlan,
  ): Promise<RateLimitPrecheck> {
    const limits = this.limitsOf(rateLimit, plan.key);
    const tracker = this.ownTracker ? this.trackerOf(request) : await this.getTracker(request);
    const checks: ConsumeRequest[] = new Array(limits.checks.length);
    for (let i = 0; i < checks.length; i++) {
      checks[i] = { key: this.generateKey(context, tracker, limits.suffixes[i]), ...limits.checks[i] };
    }
    const state = await this.storage.consume(checks);
    if (!state.some((counter) => counter.blocked)) return 'clear';
    await this.charge(context, request, plan, rateLimit, tracker);
    return 'charged';
  }

  /** Charges the request against the route's tiers; sets the RateLimit fields; 429 when over. */
  protected async charge(
    context: ExecutionContext,
    request: SecurityRequest,
    plan: RoutePlan,
    rateLimit: RateLimitPlan,
    known?: string,
  ): Promise<void> {
    const tracker = known ?? (this.ownTracker ? this.trackerOf(request) : await this.getTracker(request));
    const limits = this.limitsOf(rateLimit, plan.key);
    const requests = this.requestsOf(context, tracker, limits);
    const results = await this.consumeOrFallBack(requests, request, context, limits);
    const refusing = this.report(context, request, plan, rateLimit, limits.policy, requests, results, tracker);
    if (refusing) await refusing;
  }

  /**
   * Charges an authenticated request and reads its token's revocation records in the same store
   * call, which charges nothing when they revoke it (a stolen revoked token does not spend its
   * victim's budget). True when the token stands and the request was charged (429 when over);
   * false when it is revoked.
   */
  private async chargeUnlessRevoked(
    context: ExecutionContext,
    request: SecurityRequest,
    plan: RoutePlan,
    rateLimit: RateLimitPlan,
    revocation: DeferredRevocation,
  ): Promise<boolean> {
    const limits = this.limitsOf(rateLimit, plan.key);
    const known = this.principalKeysOf(context, request, limits);
    const tracker = known?.tracker ?? (this.ownTracker ? this.trackerOf(request) : await this.getTracker(request));
    const requests = known ? this.requestsWith(known.keys, limits) : this.requestsOf(context, tracker, limits);
    const records = revocation.records;
    const read = await this.storage.consumeIfClear({ marks: records.marks, stamp: records.stamp, counters: requests });
    // The authenticator's own rule decides; the store's veto only decides what was charged.
    if (revocation.isRevoked(read.stamp, read.marks)) return false;
    if (read.vetoed) {
      // A stamp the store's stricter reading vetoed but the token's rule accepts: charge it now.
      await this.charge(context, request, plan, rateLimit, tracker);
      return true;
    }
    const refusing = this.report(context, request, plan, rateLimit, limits.policy, requests, read.counters, tracker);
    if (refusing) await refusing;
    return true;
  }

  /**
   * The remembered tracker and keys of the request's principal when it is a frozen one (a cached
   * token's, which cannot change its id) and the hooks are this class's; undefined otherwise.
   */
  private principalKeysOf(
    context: ExecutionContext,
    request: SecurityRequest,
    limits: CompiledLimits,
  ): PrincipalKeys | undefined {
    const principal = request.principal;
    if (!this.keysCacheable || principal === undefined) return undefined;
    // Only frozen principals are ever remembered, and a frozen object stays frozen: a hit needs no
    // second look (Object.isFrozen is a call into the runtime, dearer than the lookup).
    let known = limits.keysByPrincipal.get(principal);
    if (known === undefined) {
      if (!Object.isFrozen(principal)) return undefined;
      const tracker = this.trackerOf(request);
      known = Object.freeze({ tracker, keys: Object.freeze(this.keysOf(context, tracker, limits)) });
      limits.keysByPrincipal.set(principal, known);
    }
    return known;
  }

  private requestsWith(keys: readonly string[], limits: CompiledLimits): ConsumeRequest[] {
    const requests: ConsumeRequest[] = new Array(limits.requests.length);
    for (let i = 0; i < requests.length; i++) {
      const limit = limits.requests[i];
      requests[i] = {
        key: keys[i],
        cost: limit.cost,
        limit: limit.limit,
        windowMs: limit.windowMs,
        blockMs: limit.blockMs,
      };
    }
    return requests;
  }

  private requestsOf(context: ExecutionContext, tracker: string, limits: CompiledLimits): ConsumeRequest[] {
    return this.requestsWith(this.keysOf(context, tracker, limits), limits);
  }

  /** The tracker's counter key for each of the route's tiers. */
  private keysOf(context: ExecutionContext, tracker: string, limits: CompiledLimits): string[] {
    const keys = new Array<string>(limits.suffixes.length);
    for (let i = 0; i < keys.length; i++) keys[i] = this.generateKey(context, tracker, limits.suffixes[i]);
    return keys;
  }

  /**
   * Sets the RateLimit fields of a charge's results; when over, reports a crossing and returns the
   * refusal (a rejected promise: the 429). Nothing to await when the request is admitted.
   */
  private report(
    context: ExecutionContext,
    request: SecurityRequest,
    plan: RoutePlan,
    rateLimit: RateLimitPlan,
    policy: string,
    requests: readonly ConsumeRequest[],
    results: readonly ConsumeResult[],
    tracker: string,
  ): Promise<void> | undefined {
    // The tier that refuses for longest decides Retry-After, and is the one the legacy fields report.
    let refused: number | undefined;
    for (let i = 0; i < results.length; i++) {
      if (results[i].blocked && (refused === undefined || results[i].retryAfterMs > results[refused].retryAfterMs)) {
        refused = i;
      }
    }
    // Under GraphQL the response is the one in the context; a context without one gets no headers.
    const found = responseOf(context);
    const response = found === undefined ? undefined : rawResponse(found);
    if (typeof response?.setHeader === 'function') {
      const headers = rateLimitHeaders(this.limits.headers, rateLimit, policy, results, refused);
      // Indexed: an iterator and a destructured pair per header cost more than the loop's body.
      for (let i = 0; i < headers.length; i++) response.setHeader(headers[i][0], headers[i][1]);
    }
    if (refused === undefined) return undefined;
    // One event per client and tier when it crosses the limit, not one per refused request.
    for (let i = 0; i < results.length; i++) {
      const crossed = rateLimit.tiers[i];
      if (results[i].hits > crossed.limit && results[i].hits - rateLimit.cost <= crossed.limit) {
        this.events.emit({
          type: 'rate_limit.hit',
          reason: crossed.name,
          ...(request.principal ? { principalId: request.principal.id } : {}),
          ...eventContext(request, plan.key),
          details: { tier: crossed.name, limit: crossed.limit, windowSeconds: crossed.windowSeconds },
        });
      }
    }
    const tier = rateLimit.tiers[refused];
    const result = results[refused];
    return this.throwThrottlingException(context, {
      limit: tier.limit,
      ttl: tier.windowSeconds * 1000,
      key: requests[refused].key,
      tracker,
      totalHits: result.hits,
      timeToExpire: Math.ceil(result.resetMs / 1000),
      isBlocked: true,
      timeToBlockExpire: Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
    });
  }

  /**
   * Charges the client's own counters. When the store has no room left for another anonymous
   * client's counters (a spray of new addresses), a new anonymous client is charged on the coarse
   * bucket of its network instead, which the spray soon exhausts: the spray degrades into refusals
   * for those networks while clients that already hold a counter keep theirs. If even that bucket
   * cannot be stored, the StoreFullError propagates and the request is refused (fail closed).
   */
  private async consumeOrFallBack(
    requests: ConsumeRequest[],
    request: SecurityRequest,
    context: ExecutionContext,
    limits: CompiledLimits,
  ): Promise<ConsumeResult[]> {
    try {
      return await this.storage.consume(requests);
    } catch (error) {
      if (!(error instanceof StoreFullError) || error.owner !== 'anonymous' || request.principal) throw error;
      const tracker = `${ANONYMOUS_OVERFLOW_TRACKER}${clientNetworkKey(request.ip)}`;
      for (let i = 0; i < requests.length; i++) {
        requests[i] = { ...requests[i], key: this.generateKey(context, tracker, limits.suffixes[i]) };
      }
      return this.storage.consume(requests);
    }
  }

  /**
   * The authenticated principal, else the client address (IPv6 grouped by network). A principal's
   * tracker `u:<id>` is the hash tag of its revocation records (`{u:<id>}`), so on Redis Cluster its
   * counters and those records share a slot and one script reads and charges them together.
   */
  protected async getTracker(request: SecurityRequest): Promise<string> {
    return this.trackerOf(request);
  }

  /** {@link getTracker}'s own answer, without a promise. */
  private trackerOf(request: SecurityRequest): string {
    if (request.principal) return `u:${request.principal.id}`;
    return `ip:${clientAddressKey(request.ip, this.limits.ipv6PrefixLength)}`;
  }

  /**
   * `rl:{tracker}:suffix`. The tracker is the Redis Cluster hash tag, so all counters of one
   * request sit in one slot and one script charges them.
   */
  protected generateKey(_context: ExecutionContext, tracker: string, suffix: string): string {
    const tag = tracker.includes('{') || tracker.includes('}') ? tracker.replace(/[{}]/g, '_') : tracker;
    return `rl:{${tag}}:${suffix}`;
  }

  /**
   * Refuses a request over its limit: throws the 429 problem (`ERR_RATE_LIMITED`) with `Retry-After`.
   * Named after @nestjs/throttler's hook; override it to change the refusal.
   */
  protected async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new SecurityException(429, ErrorCode.RATE_LIMITED, {
      reason: `rate limit of ${detail.limit} per ${detail.ttl / 1000}s exceeded`,
      headers: { 'Retry-After': String(detail.timeToBlockExpire) },
    });
  }

  private limitsOf(plan: RateLimitPlan, route: string): CompiledLimits {
    let compiled = this.compiled.get(plan);
    if (!compiled) {
      compiled = {
        policy: policyHeader(plan),
        suffixes: plan.tiers.map((tier) => (tier.scope === 'route' ? `${tier.name}:${route}` : tier.name)),
        requests: plan.tiers.map((tier) => ({
          cost: plan.cost,
          limit: tier.limit,
          windowMs: tier.windowSeconds * 1000,
          blockMs: tier.blockSeconds * 1000,
        })),
        checks: plan.tiers.map((tier) => ({
          cost: 0,
          limit: Math.max(0, tier.limit - plan.cost),
          windowMs: tier.windowSeconds * 1000,
          blockMs: tier.blockSeconds * 1000,
        })),
        keysByPrincipal: new WeakMap(),
      };
      this.compiled.set(plan, compiled);
    }
    return compiled;
  }
}

/**
 * The pre-check as the request's credential gate: an object, not a closure over `around`'s frame
 * (see `common/credential-gate`). Remembers what the pre-check did for `around` to read.
 */
class PrecheckGate implements CredentialGate {
  outcome: RateLimitPrecheck | undefined = undefined;
  refusal: unknown = undefined;

  constructor(
    private readonly step: RateLimitStep,
    private readonly execution: ExecutionContext,
    private readonly request: SecurityRequest,
    private readonly plan: RoutePlan,
    private readonly rateLimit: RateLimitPlan,
  ) {}

  async open(): Promise<void> {
    try {
      this.outcome = await this.step.runPrecheck(this.execution, this.request, this.plan, this.rateLimit);
    } catch (error) {
      this.refusal = error;
      throw error;
    }
  }
}
