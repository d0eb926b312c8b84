/** Every event type, as stable names (the list is what boot checks such as `audit.alerts` validate against). */
export const SECURITY_EVENT_TYPES = [
  'authentication.success',
  'authentication.failure',
  'authentication.lockout',
  'token.reuse',
  'token.revoked',
  'access.denied',
  'rate_limit.hit',
  'flow.refused',
  'flow.escalated',
  'outbound.refused',
  'third_party.invalid',
  'alert.threshold',
] as const;

/** What happened, as a stable name. */
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** One security-relevant fact. Never holds a secret, token, password or key. */
export interface SecurityEvent {
  readonly type: SecurityEventType;
  /** Epoch milliseconds; filled in by the bus when absent. */
  readonly occurredAt?: number;
  readonly requestId?: string;
  readonly principalId?: string;
  readonly ip?: string;
  /** `GET /api/v1/users/:id` */
  readonly route?: string;
  /** Short machine-friendly reason, e.g. `expired`, `bad_signature`, `family_reused`. */
  readonly reason?: string;
  /** Extra non-secret facts (ids, counts). */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

/** Receives every event; sinks must not throw (errors are logged and swallowed by the bus). */
export interface SecurityEventSink {
  handle(event: Required<Pick<SecurityEvent, 'type' | 'occurredAt'>> & SecurityEvent): void | Promise<void>;
}

/** Injection token for extra {@link SecurityEventSink}s. */
export const SECURITY_EVENT_SINKS = Symbol.for('api-security:SecurityEventSinks');
