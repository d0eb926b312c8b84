/** What to do while the shared store cannot answer. */
export type StoreOutagePolicy = 'failClosed' | 'failOpen';

/**
 * State whose loss during an outage only makes a limit per instance instead of cluster-wide: a
 * per-instance memory can stand in for it (`failOpen`).
 */
export const COUNTER_PURPOSES = ['rateLimit', 'velocity', 'alerts'] as const;

/**
 * State whose absence reads as "allowed": a revoked token, a spent refresh token or challenge, a
 * locked account. An empty stand-in would answer "not revoked", "not spent", "not locked", so these
 * always fail closed, whatever the option says.
 */
export const RECORD_PURPOSES = ['revocation', 'refreshToken', 'challenge', 'lockout'] as const;

/** A counter kind of state: rate limits, sensitive-flow velocity and cooldowns, threshold-alert counts. */
export type CounterPurpose = (typeof COUNTER_PURPOSES)[number];

/** A security record: revocations, refresh-token families, one-time challenges, login lockouts. */
export type RecordPurpose = (typeof RECORD_PURPOSES)[number];

/** What a piece of shared state is for; it decides what an outage of the store does to it. */
export type SecurityStorePurpose = CounterPurpose | RecordPurpose;

/** The outage policy of each kind of counter; a kind left out fails closed. */
export interface StoreOutagePolicies {
  /** Rate-limit counters (every tier, the global budget, the token endpoints' limits). */
  readonly rateLimit?: StoreOutagePolicy;
  /** Sensitive-flow velocity limits and cooldowns. */
  readonly velocity?: StoreOutagePolicy;
  /** Threshold-alert event counts. */
  readonly alerts?: StoreOutagePolicy;
}

const POLICIES: readonly unknown[] = ['failClosed', 'failOpen'];

/**
 * Checks `store.onUnavailable` and returns the counter purposes that fail open. A string applies
 * to every counter purpose; an object names them one by one. Problems are pushed, one sentence
 * each, naming the option.
 */
export function resolveOutagePolicy(value: unknown, problems: string[]): ReadonlySet<CounterPurpose> {
  const open = new Set<CounterPurpose>();
  if (value === undefined || value === 'failClosed') return open;
  if (value === 'failOpen') return new Set(COUNTER_PURPOSES);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(
      `store.onUnavailable must be 'failClosed', 'failOpen' or an object of per-purpose policies ` +
        `(${COUNTER_PURPOSES.join(', ')}), got ${typeof value === 'string' ? `'${value}'` : typeof value}.`,
    );
    return open;
  }
  for (const [purpose, policy] of Object.entries(value)) {
    if ((RECORD_PURPOSES as readonly string[]).includes(purpose)) {
      problems.push(
        `store.onUnavailable.${purpose}: ${purpose} always fails closed (a per-instance stand-in would not ` +
          `know the records, and would let revoked, spent or locked credentials through); remove it.`,
      );
    } else if (!(COUNTER_PURPOSES as readonly string[]).includes(purpose)) {
      problems.push(
        `store.onUnavailable has an unknown purpose '${purpose}': only ${COUNTER_PURPOSES.join(', ')} may be set.`,
      );
    } else if (!POLICIES.includes(policy)) {
      problems.push(`store.onUnavailable.${purpose} must be 'failClosed' or 'failOpen', got ${String(policy)}.`);
    } else if (policy === 'failOpen') {
      open.add(purpose as CounterPurpose);
    }
  }
  return open;
}
