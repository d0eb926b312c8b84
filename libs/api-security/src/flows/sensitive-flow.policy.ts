import { parseFlowLimit } from './flow-limit';
import type { FlowChallengePlan, FlowCounting, FlowLimit, FlowPlan } from '../plan/flow-plan';

/** The proof-of-work part of a {@link SensitiveFlowPolicy}. */
export interface ProofOfWorkPolicy {
  /**
   * Leading zero hex digits the client must find: each digit multiplies the expected work by 16
   * (4 ≈ 65 000 hashes, a fraction of a second in a browser). 0–8; 0 still makes the challenge a
   * single-use token bound to the caller and the flow.
   */
  difficulty: number;
  /**
   * Seconds an issued challenge stays answerable, 10–3600.
   * @default 300
   */
  ttlSeconds?: number;
  /**
   * Top-level request body field carrying the challenge.
   * @default 'challenge'
   */
  challengeField?: string;
  /**
   * Top-level request body field carrying the nonce.
   * @default 'nonce'
   */
  nonceField?: string;
}

/** How `@SensitiveFlow(name, policy)` protects an abuse-prone business flow (OWASP API6). */
export interface SensitiveFlowPolicy {
  /**
   * Limits per authenticated principal, `N/Ss` (`'5/3600s'`), one or several (each its own fixed
   * window). Anonymous callers are not counted here: give `perIp` on public routes.
   * @default []
   */
  perPrincipal?: string | readonly string[];
  /**
   * Limits per client IP, `N/Ss`. Required on `@Public()` routes by the boot audit.
   * @default []
   */
  perIp?: string | readonly string[];
  /**
   * What the limits count: every attempt that reaches the flow check (`attempts`), only requests
   * whose handler succeeded (`successes`: a slot is reserved before the handler runs and given back
   * if it fails), or only failed ones (`failures`: a slot is reserved before and given back on
   * success, so parallel guesses cannot overshoot the limit).
   * @default 'attempts'
   */
  count?: FlowCounting;
  /**
   * Seconds after a success during which the same principal (or IP, when anonymous) is refused
   * with 429. Also keeps two concurrent requests from both succeeding. 0–86400.
   * @default 0
   */
  cooldownSeconds?: number;
  /**
   * Require a solved proof-of-work challenge (issued by `ProofOfWorkService`); `false` for none.
   * @default false
   */
  challenge?: ProofOfWorkPolicy | false;
}

const POLICY_KEYS = new Set(['perPrincipal', 'perIp', 'count', 'cooldownSeconds', 'challenge']);
const CHALLENGE_KEYS = new Set(['difficulty', 'ttlSeconds', 'challengeField', 'nonceField']);
const COUNTINGS: readonly FlowCounting[] = ['attempts', 'successes', 'failures'];
/** Flow names end up in store keys and events: keep them short and plain. */
export const FLOW_NAME = /^[A-Za-z0-9][\w.:-]{0,63}$/;
const FIELD = /^[A-Za-z_$][\w$]{0,63}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function limits(value: unknown, path: string, problems: string[]): FlowLimit[] {
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  const parsed: FlowLimit[] = [];
  for (const entry of list) {
    const result = parseFlowLimit(entry);
    if (typeof result === 'string') problems.push(`${path}: ${result}`);
    else parsed.push(result);
  }
  return parsed;
}

function wholeNumber(value: unknown, min: number, max: number, path: string, problems: string[]): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    problems.push(`${path} must be a whole number from ${min} to ${max} (got ${String(value)})`);
    return min;
  }
  return value as number;
}

function challengePlan(value: unknown, problems: string[]): FlowChallengePlan | undefined {
  if (value === undefined || value === false) return undefined;
  if (!isRecord(value)) {
    problems.push('challenge must be { difficulty, ttlSeconds?, challengeField?, nonceField? } or false');
    return undefined;
  }
  const unknown = Object.keys(value).filter((key) => !CHALLENGE_KEYS.has(key));
  if (unknown.length > 0) problems.push(`challenge has unknown option(s): ${unknown.join(', ')}`);
  const difficulty = wholeNumber(value.difficulty, 0, 8, 'challenge.difficulty', problems);
  const ttlSeconds = wholeNumber(value.ttlSeconds ?? 300, 10, 3600, 'challenge.ttlSeconds', problems);
  const field = (name: 'challengeField' | 'nonceField', fallback: string): string => {
    const given = value[name] ?? fallback;
    if (typeof given === 'string' && FIELD.test(given)) return given;
    problems.push(`challenge.${name} must be a body field name (got ${JSON.stringify(given)})`);
    return fallback;
  };
  const challengeField = field('challengeField', 'challenge');
  const nonceField = field('nonceField', 'nonce');
  if (challengeField === nonceField) problems.push('challenge.challengeField and challenge.nonceField must differ');
  return Object.freeze({ difficulty, ttlSeconds, challengeField, nonceField });
}

/**
 * Validates a flow policy and fills in its defaults. Throws a TypeError naming `where` (the route,
 * `Controller.method`) and listing every problem, so a bad policy stops the boot, not a request.
 * `complete: false` (when the decorator is applied) accepts a policy that protects nothing yet,
 * because `provideFlowPolicy` may still fill it in at boot.
 */
export function compileFlowPolicy(name: unknown, policy: unknown, where: string, complete = true): FlowPlan {
  const problems: string[] = [];
  if (typeof name !== 'string' || !FLOW_NAME.test(name)) {
    problems.push(`the flow name must be 1–64 letters, digits, _ . : - (got ${JSON.stringify(name)})`);
  }
  let given: Record<string, unknown> = {};
  if (policy !== undefined && !isRecord(policy)) problems.push('the policy must be an object');
  else if (policy !== undefined) given = policy;
  const unknown = Object.keys(given).filter((key) => !POLICY_KEYS.has(key));
  if (unknown.length > 0) problems.push(`unknown option(s): ${unknown.join(', ')}`);
  const perPrincipal = limits(given.perPrincipal, 'perPrincipal', problems);
  const perIp = limits(given.perIp, 'perIp', problems);
  const count = (given.count ?? 'attempts') as FlowCounting;
  if (!COUNTINGS.includes(count)) {
    problems.push(`count must be one of ${COUNTINGS.join(', ')} (got ${JSON.stringify(given.count)})`);
  }
  const cooldownSeconds = wholeNumber(given.cooldownSeconds ?? 0, 0, 86_400, 'cooldownSeconds', problems);
  const challenge = challengePlan(given.challenge, problems);
  if (complete && perPrincipal.length === 0 && perIp.length === 0 && cooldownSeconds === 0 && !challenge) {
    problems.push('the policy protects nothing: give perPrincipal, perIp, cooldownSeconds or challenge');
  }
  if (problems.length > 0) {
    throw new TypeError(
      `@SensitiveFlow(${JSON.stringify(name)}) on ${where} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return Object.freeze({
    name: name as string,
    count,
    perPrincipal: Object.freeze(perPrincipal),
    perIp: Object.freeze(perIp),
    cooldownSeconds,
    ...(challenge ? { challenge } : {}),
  });
}

/**
 * A policy registered with `provideFlowPolicy` laid over the decorator's: each option given
 * replaces the decorator's, and `challenge` options merge one level deep.
 */
export function mergeFlowPolicies(declared: SensitiveFlowPolicy, override: SensitiveFlowPolicy): SensitiveFlowPolicy {
  const challenge =
    override.challenge === undefined
      ? declared.challenge
      : override.challenge === false || !declared.challenge
        ? override.challenge
        : { ...declared.challenge, ...override.challenge };
  return { ...declared, ...override, ...(challenge === undefined ? {} : { challenge }) };
}
