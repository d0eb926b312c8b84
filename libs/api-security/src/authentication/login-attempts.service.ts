import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { SECURITY_STORE, type SecurityStore } from '../store/security-store';
import {
  accountClientFailuresKey,
  accountFailuresKey,
  accountLockKey,
  clientBlockedUntilKey,
  clientFailuresKey,
} from './login-attempts.keys';
import { SESSION_CLOCK, type SessionClock } from './session.clock';

const DAY_MS = 86_400_000;

/**
 * Brute-force protection of a password login (NIST SP 800-53 AC-7, OWASP API2:2023), shared by
 * every instance through the {@link SecurityStore}:
 *
 * - `sessions.maxFailures` consecutive failures lock the account for `sessions.lockoutSeconds`:
 *   every attempt on it gets 429 with `Retry-After`, even with the right password, so guessing
 *   cannot continue against a locked account. A success resets the count.
 * - One client may fail `sessions.maxFailuresPerIpPerDay` times over all accounts in 24 hours,
 *   which stops one source spraying a password over many accounts. A success does not reset it.
 *
 * Call {@link assertAllowed} before checking the password, then {@link recordFailure} or
 * {@link recordSuccess}. Attempts that pass `assertAllowed` at the same moment, before any of
 * them is recorded, can exceed `maxFailures` by the number of such concurrent attempts.
 *
 * The `ip` argument is trusted as given. Pass the framework's `req.ip`: it is the socket's peer
 * unless the app sets trust proxy, and only then is it taken from `X-Forwarded-For`. Behind a
 * reverse proxy without trust proxy every client shares the proxy's address (and so one daily
 * cap); trusting more hops than really exist lets clients choose their address. IPv6 clients are
 * counted per /64, the block one subscriber usually gets, so rotating addresses within it does not
 * reset the cap; IPv4-mapped IPv6 addresses count as their IPv4 address.
 *
 * Accounts are trimmed and lower-cased, then only their SHA-256 reaches the store and the events.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private readonly maxClientFailures: number;
  private readonly now: SessionClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(SECURITY_STORE) private readonly store: SecurityStore,
    private readonly events: SecurityEventBus,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @Optional() @Inject(SESSION_CLOCK) clock?: SessionClock,
  ) {
    this.maxFailures = options.sessions.maxFailures;
    this.lockoutMs = options.sessions.lockoutSeconds * 1000;
    this.maxClientFailures = options.sessions.maxFailuresPerIpPerDay;
    this.now = clock ?? Date.now;
  }

  /**
   * Refuses the attempt while the account is locked or the client is over its daily cap.
   * @throws SecurityException 429 `ERR_ACCOUNT_LOCKED` with `Retry-After` in seconds
   */
  async assertAllowed(account: string, ip: string): Promise<void> {
    const accountHash = hashAccount(account);
    const clientHash = hashClient(ip);
    const [lockedUntil, [clientFailures, clientBlockedUntil]] = await Promise.all([
      this.store.get(accountLockKey(accountHash)),
      this.store.getMany([clientFailuresKey(clientHash), clientBlockedUntilKey(clientHash)]),
    ]);
    const now = this.now();
    if (lockedUntil !== null) {
      throw tooManyFailures(retryAfterSeconds(lockedUntil, now, this.lockoutMs), 'account locked');
    }
    // Judged on the count itself, so the cap holds even if the "until" marker was not written; an
    // unreadable count is refused too.
    if (clientFailures !== null && !(Number(clientFailures) < this.maxClientFailures)) {
      throw tooManyFailures(retryAfterSeconds(clientBlockedUntil, now, DAY_MS), 'client over its daily failure cap');
    }
  }

  /** Counts a failed login; locks the account or blocks the client when a limit is reached. */
  async recordFailure(account: string, ip: string): Promise<void> {
    const accountHash = hashAccount(account);
    const clientHash = hashClient(ip);
    const [accountFailures, accountClientFailures, clientFailures] = await Promise.all([
      // 24 hours bounds how long an idle count is kept; "consecutive" ends with a success or a lockout.
      this.store.increment(accountFailuresKey(accountHash), DAY_MS),
      this.store.increment(accountClientFailuresKey(accountHash, clientHash), DAY_MS),
      this.store.increment(clientFailuresKey(clientHash), DAY_MS),
    ]);
    const now = this.now();
    const source = typeof ip === 'string' && ip.length > 0 ? { ip } : {};
    this.events.emit({
      type: 'authentication.failure',
      reason: 'bad_credentials',
      ...source,
      details: {
        accountHash,
        accountFailures: accountFailures.value,
        accountClientFailures: accountClientFailures.value,
        clientFailures: clientFailures.value,
      },
    });

    const pending: Promise<void>[] = [];
    if (accountFailures.value >= this.maxFailures) {
      pending.push(this.lockAccount(accountHash, accountFailures.value, now, source));
    }
    if (clientFailures.value >= this.maxClientFailures) {
      pending.push(this.blockClient(clientHash, clientFailures.value, clientFailures.ttlMs, now, source));
    }
    await Promise.all(pending);
  }

  /**
   * A successful login: the account's consecutive-failure counts start again from zero, and an
   * `authentication.success` event records who signed in from where.
   */
  async recordSuccess(account: string, ip: string, principalId?: string): Promise<void> {
    const accountHash = hashAccount(account);
    await Promise.all([
      this.store.delete(accountFailuresKey(accountHash)),
      this.store.delete(accountClientFailuresKey(accountHash, hashClient(ip))),
    ]);
    this.events.emit({
      type: 'authentication.success',
      reason: 'password',
      ...(principalId !== undefined ? { principalId } : {}),
      ...(typeof ip === 'string' && ip.length > 0 ? { ip } : {}),
      details: { accountHash },
    });
  }

  private async lockAccount(
    accountHash: string,
    failures: number,
    now: number,
    source: { ip?: string },
  ): Promise<void> {
    // setIfAbsent: failures racing in while locked neither extend the lock nor repeat the event.
    // The count restarts, so after the lockout the account gets maxFailures attempts again.
    const [locked] = await Promise.all([
      this.store.setIfAbsent(accountLockKey(accountHash), String(now + this.lockoutMs), this.lockoutMs),
      this.store.delete(accountFailuresKey(accountHash)),
    ]);
    if (locked) {
      this.events.emit({
        type: 'authentication.lockout',
        reason: 'account_failures',
        ...source,
        details: { accountHash, failures, lockoutSeconds: this.lockoutMs / 1000 },
      });
    }
  }

  private async blockClient(
    clientHash: string,
    failures: number,
    windowLeftMs: number,
    now: number,
    source: { ip?: string },
  ): Promise<void> {
    const ttlMs = Math.max(1, windowLeftMs);
    const blocked = await this.store.setIfAbsent(clientBlockedUntilKey(clientHash), String(now + ttlMs), ttlMs);
    if (blocked) {
      this.events.emit({
        type: 'authentication.lockout',
        reason: 'client_daily_cap',
        ...source,
        details: { failures, retryAfterSeconds: Math.ceil(ttlMs / 1000) },
      });
    }
  }
}

function tooManyFailures(seconds: number, reason: string): SecurityException {
  return new SecurityException(429, ErrorCode.ACCOUNT_LOCKED, {
    headers: { 'Retry-After': String(seconds) },
    reason,
  });
}

/** Whole seconds until `until` (epoch ms); `fallbackMs` when it is missing or unreadable. Never below 1. */
function retryAfterSeconds(until: string | null, now: number, fallbackMs: number): number {
  const untilMs = until === null ? Number.NaN : Number(until);
  const leftMs = Number.isFinite(untilMs) ? Math.min(untilMs - now, fallbackMs) : fallbackMs;
  return Math.max(1, Math.ceil(leftMs / 1000));
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hashAccount(account: string): string {
  if (typeof account !== 'string') {
    throw new TypeError('LoginAttemptsService: account must be a string.');
  }
  return sha256(account.trim().toLowerCase());
}

/**
 * The client's bucket: IPv4 as is, IPv6 by its /64, anything unparseable as its text. A missing
 * address gets a bucket of its own, shared by every such request (counted, never skipped).
 */
function hashClient(ip: string): string {
  const text = typeof ip === 'string' ? ip.trim().toLowerCase() : '';
  if (text === '') return sha256('unknown');
  if (!ipaddr.isValid(text)) return sha256(`raw:${text}`);
  const address = ipaddr.process(text);
  if (address.kind() === 'ipv4') return sha256(address.toString());
  const prefix = (address as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':');
  return sha256(`${prefix}::/64`);
}
