import type { FlowScope } from './flow.keys';

/** Why the flow check refused a request; the `reason` of its `flow.refused` event. */
export type FlowRefusalReason =
  /** A velocity limit is reached. */
  | 'velocity'
  /** A success happened less than `cooldownSeconds` ago (or one is in flight). */
  | 'cooldown'
  /** No challenge in the body. */
  | 'challenge_missing'
  /** The challenge or nonce field is not a string of acceptable length. */
  | 'challenge_malformed'
  /** Not a challenge this server issued (or one long expired). */
  | 'challenge_invalid'
  /** Issued, but its time ran out. */
  | 'challenge_expired'
  /** Already answered once. */
  | 'challenge_reused'
  /** Issued to another principal. */
  | 'challenge_foreign'
  /** Issued for another flow. */
  | 'challenge_other_flow'
  /** The nonce does not solve the challenge (which is then spent). */
  | 'pow_failed';

/** A refusal the flow check is about to answer, as handed to a {@link FlowEscalation}. */
export interface FlowRefusal {
  readonly flow: string;
  readonly reason: FlowRefusalReason;
  /** The status the default refusal answers: 429, 409 or 400. */
  readonly status: 400 | 409 | 429;
  /** For `velocity` and `cooldown`: seconds until the caller may try again. */
  readonly retryAfterSeconds?: number;
  /** For `velocity` and `cooldown`: whether the principal's or the IP's budget is spent. */
  readonly scope?: FlowScope;
  /** For `velocity`: the limit reached, e.g. `5/3600s`. */
  readonly limit?: string;
}

/** The challenge refusals; the others are `velocity` and `cooldown`. */
export function isChallengeRefusal(reason: FlowRefusalReason): boolean {
  return reason !== 'velocity' && reason !== 'cooldown';
}
