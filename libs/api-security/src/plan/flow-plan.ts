/** What a flow's velocity limits count. */
export type FlowCounting = 'attempts' | 'successes' | 'failures';

/** One `N/Ss` limit, compiled. */
export interface FlowLimit {
  /** Most counted events in one window. */
  readonly limit: number;
  readonly windowSeconds: number;
  /** As declared, e.g. `5/3600s`, for messages and the inventory. */
  readonly text: string;
}

/** The proof-of-work challenge a flow demands, compiled. */
export interface FlowChallengePlan {
  /** Leading zero hex digits `sha256(challenge + nonce)` must start with (0–8). */
  readonly difficulty: number;
  /** How long an issued challenge may be answered. */
  readonly ttlSeconds: number;
  /** Top-level body field carrying the challenge. */
  readonly challengeField: string;
  /** Top-level body field carrying the nonce. */
  readonly nonceField: string;
}

/** `@SensitiveFlow(name, policy)` compiled at boot (merged with a policy registered by `provideFlowPolicy`). */
export interface FlowPlan {
  /** The flow's name: routes with the same name share counters, cooldown and challenges. */
  readonly name: string;
  readonly count: FlowCounting;
  /** Limits per authenticated principal (not applied to anonymous callers). */
  readonly perPrincipal: readonly FlowLimit[];
  /** Limits per client IP. */
  readonly perIp: readonly FlowLimit[];
  /** Seconds after a success during which the same principal (or IP when anonymous) is refused; 0 = none. */
  readonly cooldownSeconds: number;
  /** Present when a solved proof-of-work challenge is required. */
  readonly challenge?: FlowChallengePlan;
}
