import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { UnauthenticatedException } from '../errors/security.exception';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { issuedRefreshTokenKey, liveRefreshTokenKey, refreshFamilyKey } from './refresh-token.keys';
import { userValidAfterKey } from './revocation.keys';
import { RevocationService } from './revocation.service';

/** Start of every refresh token, so a leaked one is recognisable by secret scanners and in logs. */
export const REFRESH_TOKEN_PREFIX = 'rt_';

/** A new session's first refresh token. */
export interface IssuedRefreshToken {
  /** The opaque token to hand to the client. Shown once: only its hash is stored. */
  refreshToken: string;
  /** The token family (one login session). Not secret; put it in access tokens as `sid` so logout can end both. */
  familyId: string;
  /** When this token expires if it is not used, epoch seconds (idle deadline, capped by the family's absolute expiry). */
  expiresAt: number;
}

/** The outcome of a successful rotation: the next token of the same family. */
export interface RotatedRefreshToken extends IssuedRefreshToken {
  /** The user the family belongs to. */
  userId: string;
}

/** Request facts for the audit trail of a rotation. */
export interface RefreshContext {
  /** Client IP as the framework resolved it (`req.ip`). */
  ip?: string;
  /** Request id, to correlate the security event with the access log. */
  requestId?: string;
}

/** 256 bits: out of reach of guessing however many requests an attacker makes. */
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^rt_[A-Za-z0-9_-]{43}$/;
/** 128 bits: a family id is not a credential, but must not be guessable to be targeted. */
const FAMILY_ID_BYTES = 16;
const FAMILY_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** What is stored under a token's keys (never the token). Short names keep every key small. */
interface TokenRecord {
  /** Family id. */
  readonly f: string;
  /** User id. */
  readonly u: string;
  /** Family creation, epoch ms: compared with the user's "valid after" stamp. */
  readonly c: number;
  /** Family absolute expiry, epoch ms. */
  readonly x: number;
  /** This token's idle deadline, epoch ms. */
  readonly i: number;
  /** When the token was rotated, epoch ms; absent while it is unused. */
  readonly s?: number;
}

/** What is stored under a family's key. */
interface FamilyRecord {
  readonly u: string;
  readonly c: number;
  readonly x: number;
}

/**
 * Opaque, rotating refresh tokens in families (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
 *
 * - A token is `rt_` + 256 random bits (base64url). The store holds only its SHA-256.
 * - Every refresh spends the token and returns the next one of the same family. Spending is the
 *   store's atomic `take`, so of any number of instances refreshing one token at once exactly one
 *   wins.
 * - Presenting a spent token again means two parties hold it: the whole family is revoked, so the
 *   thief's and the victim's newest tokens both die, the session too (every access token minted
 *   from the family, the thief's included, is refused from the next request), and a `token.reuse`
 *   event is emitted. Within
 *   `sessions.refreshReuseGraceSeconds` a spent token is only refused (a client that sent the same
 *   refresh twice). A copy arriving while the winning rotation is still in flight (the store round
 *   trip between its `take` and marking the token spent) is refused without revoking, so that the
 *   one winner is never undone by its own duplicates; a replay after that revokes.
 * - A family dies at its absolute expiry (`jwt.refreshTokenTtlSeconds` after login, never
 *   extended), when a token sits unused for `sessions.refreshIdleSeconds`, on `revokeFamily`
 *   (logout, which revokes the session's access tokens as well), and when the user's "valid after" stamp is newer than the family (password change,
 *   deactivation: `RevocationService.revokeAllForUser`).
 *
 * All state is in the shared {@link SecurityStore}, so several instances behave as one. Store
 * outages propagate (the caller gets the store's 503); a record that cannot be read is refused.
 */
@Injectable()
export class RefreshTokenService {
  private readonly absoluteMs: number;
  private readonly idleMs: number;
  private readonly graceMs: number;
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @InjectSecurityStore('refreshToken') private readonly store: SecurityStore,
    private readonly events: SecurityEventBus,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    private readonly revocation: RevocationService,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.absoluteMs = options.jwt.refreshTokenTtlSeconds * 1000;
    this.idleMs = Math.min(options.sessions.refreshIdleSeconds * 1000, this.absoluteMs);
    this.graceMs = options.sessions.refreshReuseGraceSeconds * 1000;
    this.now = clock ?? systemClock;
  }

  /** Starts a new family (a login session) for the user and returns its first token. */
  async issue(userId: string): Promise<IssuedRefreshToken> {
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new TypeError('RefreshTokenService.issue: userId must be a non-empty string.');
    }
    const stamp = await this.store.get(userValidAfterKey(userId));
    const now = this.now();
    const stampMs = stamp === null ? Number.NaN : Number(stamp);
    // Rotation kills families created before the stamp. Another instance's clock may be slightly
    // ahead, so a login right after "revoke everything" would be born dead without this. An
    // unreadable stamp is left to rotation, which refuses it (fail closed).
    const createdAt = Number.isFinite(stampMs) ? Math.max(now, stampMs) : now;
    const family: FamilyRecord = { u: userId, c: createdAt, x: now + this.absoluteMs };
    const familyId = randomBytes(FAMILY_ID_BYTES).toString('base64url');
    const [issued] = await Promise.all([
      this.mint(familyId, family, now),
      this.store.set(refreshFamilyKey(familyId), JSON.stringify(family), this.absoluteMs),
    ]);
    return issued;
  }

  /**
   * Spends `refreshToken` and returns the next token of its family.
   * @throws UnauthenticatedException (401, `invalid_token`) for a malformed, unknown, expired,
   *   spent or revoked token. The token is spent even then: a refused token never works again.
   */
  async rotate(refreshToken: string, context: RefreshContext = {}): Promise<RotatedRefreshToken> {
    if (typeof refreshToken !== 'string' || !TOKEN_PATTERN.test(refreshToken)) {
      // Refused before any store call, so garbage never costs a round trip or names a key.
      throw refused('malformed refresh token');
    }
    const tokenHash = hashToken(refreshToken);
    const live = await this.store.take(liveRefreshTokenKey(tokenHash));
    const now = this.now();
    if (live === null) return this.refuseSpentOrUnknown(tokenHash, now, context);

    const token = parseTokenRecord(live);
    if (token === undefined) throw refused('unreadable refresh token record');
    if (now >= token.x) throw refused('refresh token family expired');
    if (now >= token.i) throw refused('refresh token idle expired');

    const [familyValue, stamp] = await Promise.all([
      this.store.get(refreshFamilyKey(token.f)),
      this.store.get(userValidAfterKey(token.u)),
    ]);
    // Marked spent only now, after the family was read: a replay that sees the mark may revoke the
    // family, and doing that before this winner's check would leave no winner at all. Marked on
    // refusal too, so a later replay of it is reported as reuse rather than as a concurrent request.
    const spent = this.store.set(issuedRefreshTokenKey(tokenHash), JSON.stringify({ ...token, s: now }), token.x - now);
    const family = checkFamily(token, familyValue, stamp);
    if (typeof family === 'string') {
      await spent;
      throw refused(family);
    }
    const [next] = await Promise.all([this.mint(token.f, family, now), spent]);
    return { userId: token.u, ...next };
  }

  /**
   * Ends the family (logout): every token of it, the newest included, is refused from now on, and so
   * is every access token minted from it (`sid`), on every instance. A rotation already past its
   * checks may still hand out one more pair, which is refused on use.
   * @param userId the session's owner (the access token's `sub`). The session's access tokens are
   *   revoked under the owner the family record names; this one is needed when that record is
   *   already gone (expired, or ended by reuse detection), so that they die all the same.
   */
  async revokeFamily(familyId: string, userId?: string): Promise<void> {
    if (typeof familyId !== 'string' || !FAMILY_ID_PATTERN.test(familyId)) {
      throw new TypeError('RefreshTokenService.revokeFamily: familyId is not a refresh-token family id.');
    }
    if (userId !== undefined && (typeof userId !== 'string' || userId.length === 0)) {
      throw new TypeError('RefreshTokenService.revokeFamily: userId must be a non-empty string.');
    }
    const removed = await this.store.take(refreshFamilyKey(familyId));
    const family = removed === null ? undefined : parseFamilyRecord(removed);
    const sessionEndsInMs = family ? family.x - this.now() : undefined;
    const owners = new Set([family?.u, userId].filter((id): id is string => id !== undefined));
    // The family is gone already, so a failure here leaves its access tokens alive: the error
    // propagates (503) and the caller's retry writes the records again.
    await Promise.all(
      [...owners].map((owner) =>
        this.revocation.revokeSession(owner, familyId, sessionEndsInMs !== undefined ? { sessionEndsInMs } : {}),
      ),
    );
    if (removed === null) return;
    this.events.emit({
      type: 'token.revoked',
      reason: 'family',
      ...(family ? { principalId: family.u } : {}),
      details: { familyId },
    });
  }

  /** Creates a token of the family, live until its idle deadline, remembered until the family's expiry. */
  private async mint(familyId: string, family: FamilyRecord, now: number): Promise<IssuedRefreshToken> {
    const refreshToken = REFRESH_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const tokenHash = hashToken(refreshToken);
    const idleDeadline = Math.min(now + this.idleMs, family.x);
    const record: TokenRecord = { f: familyId, u: family.u, c: family.c, x: family.x, i: idleDeadline };
    const value = JSON.stringify(record);
    // The issued marker is written with the live key so that a concurrent loser always finds one of them.
    await Promise.all([
      this.store.set(liveRefreshTokenKey(tokenHash), value, idleDeadline - now),
      this.store.set(issuedRefreshTokenKey(tokenHash), value, family.x - now),
    ]);
    return { refreshToken, familyId, expiresAt: Math.floor(idleDeadline / 1000) };
  }

  /**
   * The token is not live. If it was never issued (or its family has ended) it is simply unknown.
   * If it was issued and is gone before its idle deadline, someone spent it: a replay.
   */
  private async refuseSpentOrUnknown(tokenHash: string, now: number, context: RefreshContext): Promise<never> {
    const issuedValue = await this.store.get(issuedRefreshTokenKey(tokenHash));
    if (issuedValue === null) throw refused('unknown or expired refresh token');
    const token = parseTokenRecord(issuedValue);
    if (token === undefined) throw refused('unreadable refresh token record');
    if (now >= token.x) throw refused('refresh token family expired');
    const audit = {
      principalId: token.u,
      ...(context.ip !== undefined ? { ip: context.ip } : {}),
      ...(context.requestId !== undefined ? { requestId: context.requestId } : {}),
      details: { familyId: token.f },
    };
    if (token.s === undefined) {
      if (now >= token.i) throw refused('refresh token idle expired');
      // Taken but not yet marked spent: another rotation of this very token is in flight (or stopped
      // half-way). Refused; revoking here could kill that rotation's family check, leaving no winner.
      this.events.emit({ type: 'authentication.failure', reason: 'refresh_concurrent', ...audit });
      throw refused('refresh token is being rotated by a concurrent request');
    }
    if (this.graceMs > 0 && now - token.s <= this.graceMs) {
      this.events.emit({ type: 'authentication.failure', reason: 'refresh_reused_within_grace', ...audit });
      throw refused('spent refresh token presented again within the grace window');
    }
    // The session first: were the family deleted and this write lost, the thief's access token
    // would live on with no refresh token left to replay.
    await this.revocation.revokeSession(token.u, token.f, { sessionEndsInMs: token.x - now });
    const revoked = await this.store.delete(refreshFamilyKey(token.f));
    // `revoked: false`: the family had already ended (logout, earlier reuse), yet its token is still being replayed.
    this.events.emit({
      type: 'token.reuse',
      reason: 'family_reused',
      ...audit,
      details: { ...audit.details, revoked },
    });
    throw refused('spent refresh token presented again: family revoked');
  }
}

/** The family the token may continue, or why it may not. */
function checkFamily(token: TokenRecord, familyValue: string | null, stamp: string | null): FamilyRecord | string {
  const family = familyValue === null ? undefined : parseFamilyRecord(familyValue);
  if (family === undefined) return 'refresh token family revoked or expired';
  if (family.u !== token.u || family.c !== token.c || family.x !== token.x) {
    return 'refresh token does not match its family';
  }
  if (stamp !== null) {
    const validAfter = Number(stamp);
    // An unreadable stamp revokes everything (fail closed), as it does for access tokens.
    if (!Number.isFinite(validAfter) || family.c < validAfter) return 'refresh token revoked for the user';
  }
  return family;
}

function refused(reason: string): UnauthenticatedException {
  return new UnauthenticatedException(reason, 'invalid_token');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function parseJson(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The record, or undefined when anything about it is off (the caller refuses). */
function parseTokenRecord(value: string): TokenRecord | undefined {
  const r = parseJson(value);
  if (r === undefined || !isId(r.f) || !isId(r.u) || !isTime(r.c) || !isTime(r.x) || !isTime(r.i)) return undefined;
  if (r.s !== undefined && !isTime(r.s)) return undefined;
  return { f: r.f, u: r.u, c: r.c, x: r.x, i: r.i, ...(r.s !== undefined ? { s: r.s } : {}) };
}

function parseFamilyRecord(value: string): FamilyRecord | undefined {
  const r = parseJson(value);
  if (r === undefined || !isId(r.u) || !isTime(r.c) || !isTime(r.x)) return undefined;
  return { u: r.u, c: r.c, x: r.x };
}
