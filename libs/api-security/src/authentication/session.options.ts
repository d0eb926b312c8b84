/**
 * Argon2id cost parameters for stored passwords. The defaults are OWASP's second recommended
 * configuration (Password Storage Cheat Sheet); raise them if logins can afford it. Every setting
 * the cheat sheet lists is accepted (46 MiB × 1 pass down to 7 MiB × 5 passes); weaker ones refuse
 * to boot.
 */
export interface Argon2Options {
  /**
   * Memory per hash in KiB, 7168–1048576 (7 MiB–1 GiB). With `timeCost`, memoryCost × timeCost
   * must be at least 35840.
   * @default 19456 (19 MiB)
   */
  memoryCost?: number;
  /**
   * Passes over the memory, 1–10.
   * @default 2
   */
  timeCost?: number;
  /**
   * Lanes, 1–16. More lanes only help when the server has the cores to spare during logins.
   * @default 1
   */
  parallelism?: number;
}

/** Refresh-token sessions, password hashing and brute-force protection of logins. */
export interface SessionOptions {
  /**
   * A refresh token unused for this many seconds expires, even though its family's absolute
   * lifetime (`jwt.refreshTokenTtlSeconds`, counted from login and never extended by rotation) has
   * not run out. Capped by that absolute lifetime. 60–31536000.
   * @default 1209600 (14 days)
   */
  refreshIdleSeconds?: number;
  /**
   * Seconds during which an already rotated refresh token presented again is refused with 401
   * without ending its session: a client that sent the same refresh twice (two tabs, a retry after
   * a lost response). After the window, or with 0, any reuse is treated as theft (RFC 9700 §4.14.2)
   * and revokes the whole token family. 0–60; keep it as small as clients allow.
   * @default 0
   */
  refreshReuseGraceSeconds?: number;
  /**
   * Consecutive failed logins (since the last success, within 24 hours) that lock an account.
   * 1–100 (NIST SP 800-63B allows at most 100).
   * @default 5
   */
  maxFailures?: number;
  /**
   * How long a locked account refuses every login attempt, right password included. 1–86400.
   * @default 900 (15 minutes)
   */
  lockoutSeconds?: number;
  /**
   * Failed logins one client IP may make, over all accounts, in a 24-hour window starting at its
   * first failure; after that every login from it gets 429 until the window ends. It stops one
   * source spraying passwords across many accounts. 1–1000000.
   * @default 100
   */
  maxFailuresPerIpPerDay?: number;
  /**
   * Argon2id parameters of `PasswordService`.
   * @default { memoryCost: 19456, timeCost: 2, parallelism: 1 }
   */
  argon2?: Argon2Options;
  /**
   * Seconds each instance remembers the answer of the application's `PrincipalCheck` for a subject
   * (at most 10 000 subjects), so a deleted or deactivated subject's credentials are refused at most
   * this long after the change even when nothing revoked them. 0 asks on every request. 0–60.
   * @default 5
   */
  principalCheckCacheSeconds?: number;
}

export interface ResolvedSessionOptions {
  readonly refreshIdleSeconds: number;
  readonly refreshReuseGraceSeconds: number;
  readonly maxFailures: number;
  readonly lockoutSeconds: number;
  readonly maxFailuresPerIpPerDay: number;
  readonly argon2: Readonly<Required<Argon2Options>>;
  readonly principalCheckCacheSeconds: number;
}

/** The defaults, as documented on {@link SessionOptions}. */
export const DEFAULT_SESSION_OPTIONS: Readonly<ResolvedSessionOptions> = Object.freeze({
  refreshIdleSeconds: 1_209_600,
  refreshReuseGraceSeconds: 0,
  maxFailures: 5,
  lockoutSeconds: 900,
  maxFailuresPerIpPerDay: 100,
  argon2: Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 }),
  principalCheckCacheSeconds: 5,
});

/** The weakest setting OWASP lists is 7 MiB × 5 passes; every listed one has at least this product. */
const MIN_ARGON2_MEMORY_TIME_PRODUCT = 35_840;

/** Shows a rejected value without letting it grow the message or break its line. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function wholeNumber(
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  path: string,
  unit: string,
  problems: string[],
): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || (resolved as number) < min || (resolved as number) > max) {
    problems.push(`${path} must be a whole number${unit} from ${min} to ${max} (got ${shown(resolved)}).`);
    return fallback;
  }
  return resolved as number;
}

/** Validates {@link SessionOptions}, pushing one message per problem. */
export function resolveSessionOptions(options: SessionOptions | undefined, problems: string[]): ResolvedSessionOptions {
  const d = DEFAULT_SESSION_OPTIONS;
  let o: SessionOptions = {};
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    problems.push('sessions must be an object of session options (see SessionOptions), or left out for the defaults.');
  } else if (options !== undefined) {
    o = options;
  }
  const seconds = ' of seconds';
  const refreshIdleSeconds = wholeNumber(
    o.refreshIdleSeconds,
    d.refreshIdleSeconds,
    60,
    31_536_000,
    'sessions.refreshIdleSeconds',
    seconds,
    problems,
  );
  const refreshReuseGraceSeconds = wholeNumber(
    o.refreshReuseGraceSeconds,
    d.refreshReuseGraceSeconds,
    0,
    60,
    'sessions.refreshReuseGraceSeconds',
    seconds,
    problems,
  );
  const maxFailures = wholeNumber(o.maxFailures, d.maxFailures, 1, 100, 'sessions.maxFailures', '', problems);
  const lockoutSeconds = wholeNumber(
    o.lockoutSeconds,
    d.lockoutSeconds,
    1,
    86_400,
    'sessions.lockoutSeconds',
    seconds,
    problems,
  );
  const maxFailuresPerIpPerDay = wholeNumber(
    o.maxFailuresPerIpPerDay,
    d.maxFailuresPerIpPerDay,
    1,
    1_000_000,
    'sessions.maxFailuresPerIpPerDay',
    '',
    problems,
  );
  const principalCheckCacheSeconds = wholeNumber(
    o.principalCheckCacheSeconds,
    d.principalCheckCacheSeconds,
    0,
    60,
    'sessions.principalCheckCacheSeconds',
    seconds,
    problems,
  );

  const argon2Input: unknown = o.argon2 ?? {};
  let argon2Options: Argon2Options = {};
  if (typeof argon2Input !== 'object' || argon2Input === null || Array.isArray(argon2Input)) {
    problems.push('sessions.argon2 must be an object { memoryCost?, timeCost?, parallelism? }.');
  } else {
    argon2Options = argon2Input;
  }
  const memoryCost = wholeNumber(
    argon2Options.memoryCost,
    d.argon2.memoryCost,
    7_168,
    1_048_576,
    'sessions.argon2.memoryCost',
    ' of KiB',
    problems,
  );
  const timeCost = wholeNumber(
    argon2Options.timeCost,
    d.argon2.timeCost,
    1,
    10,
    'sessions.argon2.timeCost',
    '',
    problems,
  );
  const parallelism = wholeNumber(
    argon2Options.parallelism,
    d.argon2.parallelism,
    1,
    16,
    'sessions.argon2.parallelism',
    '',
    problems,
  );
  if (memoryCost * timeCost < MIN_ARGON2_MEMORY_TIME_PRODUCT) {
    problems.push(
      `sessions.argon2 memoryCost × timeCost is ${memoryCost * timeCost}, below the OWASP minimum of ` +
        `${MIN_ARGON2_MEMORY_TIME_PRODUCT}: raise timeCost or memoryCost (e.g. memoryCost 19456 with timeCost 2).`,
    );
  }

  return Object.freeze({
    refreshIdleSeconds,
    refreshReuseGraceSeconds,
    maxFailures,
    lockoutSeconds,
    maxFailuresPerIpPerDay,
    argon2: Object.freeze({ memoryCost, timeCost, parallelism }),
    principalCheckCacheSeconds,
  });
}
