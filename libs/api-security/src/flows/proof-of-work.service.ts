import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { SecurityPrincipal } from '../common/security-principal';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { ROUTE_PLANS, type RoutePlans } from '../plan/route-plans';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { challengeKey, challengeUsedKey } from './flow.keys';
import type { FlowChallengePlan } from '../plan/flow-plan';
import type { FlowRefusalReason } from './flow-refusal';
import { CHALLENGE_PATTERN, MAX_CHALLENGE_FIELD_LENGTH, solvesProofOfWork } from './proof-of-work';

/** What a client gets to solve: find `nonce` so that hex `sha256(challenge + nonce)` starts with `difficulty` zeros. */
export interface IssuedChallenge {
  readonly challenge: string;
  readonly difficulty: number;
  /** ISO-8601 instant after which the challenge is refused. */
  readonly expiresAt: string;
}

/** The result of checking an answer; the reason becomes the `flow.refused` event's. */
export type ChallengeVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: FlowRefusalReason };

/** Stored per challenge: principal id (null when anonymous), flow, difficulty, expiry and lifetime in ms. */
interface ChallengeRecord {
  p: string | null;
  f: string;
  d: number;
  e: number;
  t: number;
}

/** The routes the registry compiled, as far as issuing needs them. */
type FlowPlans = RoutePlans;

function parseRecord(text: string): ChallengeRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<ChallengeRecord>;
    const valid =
      (value.p === null || typeof value.p === 'string') &&
      typeof value.f === 'string' &&
      Number.isSafeInteger(value.d) &&
      Number.isSafeInteger(value.e) &&
      Number.isSafeInteger(value.t);
    return valid ? (value as ChallengeRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Proof-of-work challenges for `@SensitiveFlow` routes with `challenge`: the app exposes `issue`
 * from its own challenge route, and the flow check verifies the answer in the request body.
 *
 * A challenge is 128 random bits, bound to the principal (or to "anonymous") and to the flow,
 * expires after the policy's `ttlSeconds` and is answered once: the first answer that reaches the
 * store wins (set-if-absent), across instances. Issued challenges live in the shared store, so any
 * instance can verify them. A wrong nonce spends the challenge (one guess per challenge, so the
 * work stays on the client). A challenge presented by another principal is refused without
 * spending it: whoever saw someone else's challenge cannot use it, nor burn it.
 */
@Injectable()
export class ProofOfWorkService {
  private readonly now: SecurityClock;
  private challenges: Map<string, FlowChallengePlan> | undefined;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @InjectSecurityStore('challenge') protected readonly store: SecurityStore,
    @Inject(ROUTE_PLANS) private readonly registry: RoutePlans,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.now = clock ?? systemClock;
  }

  /**
   * Issues a challenge for `principal` (null or undefined on a public flow) and the flow named
   * `flow`, with that flow's difficulty and lifetime. Throws when no route has
   * `@SensitiveFlow(flow, { challenge })`: a programming error, not a client's.
   */
  async issue(principal: SecurityPrincipal | null | undefined, flow: string): Promise<IssuedChallenge> {
    const plan = this.challengePlan(flow);
    const challenge = randomBytes(16).toString('hex');
    const ttlMs = plan.ttlSeconds * 1000;
    const expiresAt = this.now() + ttlMs;
    const record: ChallengeRecord = { p: principal?.id ?? null, f: flow, d: plan.difficulty, e: expiresAt, t: ttlMs };
    // Kept for a second lifetime after expiry, so a late answer is told "expired", not "unknown".
    await this.store.set(challengeKey(challenge), JSON.stringify(record), ttlMs * 2);
    return { challenge, difficulty: plan.difficulty, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Checks an answer and, when it is right, spends the challenge. Everything the client sent is
   * `unknown` here: only strings of bounded length are considered.
   */
  async verify(
    principal: SecurityPrincipal | null | undefined,
    flow: string,
    challenge: unknown,
    nonce: unknown,
  ): Promise<ChallengeVerdict> {
    if (challenge === undefined || challenge === null) return { ok: false, reason: 'challenge_missing' };
    const bounded = (value: unknown): value is string =>
      typeof value === 'string' && value.length > 0 && value.length <= MAX_CHALLENGE_FIELD_LENGTH;
    if (!bounded(challenge) || !bounded(nonce)) return { ok: false, reason: 'challenge_malformed' };
    if (!CHALLENGE_PATTERN.test(challenge)) return { ok: false, reason: 'challenge_invalid' };
    const [stored, used] = await this.store.getMany([challengeKey(challenge), challengeUsedKey(challenge)]);
    const record = stored === null || stored === undefined ? undefined : parseRecord(stored);
    if (!record) return { ok: false, reason: 'challenge_invalid' };
    if (record.f !== flow) return { ok: false, reason: 'challenge_other_flow' };
    if (record.p !== (principal?.id ?? null)) return { ok: false, reason: 'challenge_foreign' };
    if (used !== null && used !== undefined) return { ok: false, reason: 'challenge_reused' };
    const now = this.now();
    if (now >= record.e) return { ok: false, reason: 'challenge_expired' };
    const solved = solvesProofOfWork(challenge, nonce, record.d);
    // The single use: of concurrent answers (on any instance) exactly one stores the marker.
    const first = await this.store.setIfAbsent(
      challengeUsedKey(challenge),
      solved ? 'solved' : 'failed',
      Math.max(1000, record.e + record.t - now),
    );
    if (!first) return { ok: false, reason: 'challenge_reused' };
    return solved ? { ok: true } : { ok: false, reason: 'pow_failed' };
  }

  /** The challenge settings of a flow, from the compiled routes. */
  private challengePlan(flow: string): FlowChallengePlan {
    let plan = this.challenges?.get(flow);
    if (!plan) {
      // Collected on first use (routes are compiled at boot, after this service is built).
      this.challenges = ProofOfWorkService.collect(this.registry);
      plan = this.challenges.get(flow);
    }
    if (!plan) {
      throw new Error(
        `No route has @SensitiveFlow('${String(flow)}', { challenge }); issue challenges only for such a flow.`,
      );
    }
    return plan;
  }

  private static collect(registry: FlowPlans): Map<string, FlowChallengePlan> {
    const map = new Map<string, FlowChallengePlan>();
    for (const route of registry.plans()) {
      if (route.flow?.challenge) map.set(route.flow.name, route.flow.challenge);
    }
    return map;
  }
}
