import { Inject, Injectable, Optional } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { AuditPseudonymizer } from '../audit/audit-pseudonymizer.service';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { ReleaseRequest, ReservedCounter, SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import {
  accountClientFailuresKey,
  accountFailuresKey,
  accountLockKey,
  clientBlockedUntilKey,
  clientFailuresKey,
} from './login-attempts.keys';

const DAY_MS = 86_400_000;

/** What a credential check passed to {@link LoginAttemptsService.attempt} answers when the credentials are right. */
export interface LoginSuccess {
  /** The signed-in principal, for the `authentication.success` event. */
  readonly principalId?: string;
}

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
 * Both limits hold under any burst, on any number of instances: {@link attempt} reserves the
 * attempt in the store (one atomic `reserve` per limit) before the password is checked, so of N
 * concurrent attempts on an account at most `maxFailures` are ever checked and every other one is
 * refused with 429, the right password included, until the lockout ends. A failure keeps its
 * reservation; a success gives it back and resets the account's count; a check that throws gives
 * it back (nothing was decided).
 *
 * The `ip` argument is trusted as given. Pass the framework's `req.ip`: it is the socket's peer
 * unless the app sets trust proxy, and only then is it taken from `X-Forwarded-For`. Behind a
 * reverse proxy without trust proxy every client shares the proxy's address (and so one daily
 * cap); trusting more hops than really exist lets clients choose their address. IPv6 clients are
 * counted per /64, the block one subscriber usually gets, so rotating addresses within it does not
 * reset the cap; IPv4-mapped IPv6 addresses count as their IPv4 address.
 *
 * Accounts are trimmed and lower-cased, then only their keyed pseudonym (HMAC-SHA-256 under
 * `audit.accountHashKey`, see {@link AuditPseudonymizer}) reaches the store and the events; clients
 * likewise reach the store only as keyed pseudonyms of their bucket.
 */
@Injectable()
export class LoginAttemptsService {
  private readonly maxFailures: number;
  private readonly lockoutMs: number;
  private readonly maxClientFailures: number;
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @InjectSecurityStore('lockout') private readonly store: SecurityStore,
    private readonly events: SecurityEventBus,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    private readonly pseudonyms: AuditPseudonymizer,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.maxFailures = options.sessions.maxFailures;
    this.lockoutMs = options.sessions.lockoutSeconds * 1000;
    this.maxClientFailures = options.sessions.maxFailuresPerIpPerDay;
    this.now = clock ?? systemClock;
  }

  /**
   * Runs one login attempt under both limits. `verify` checks the credentials (and anything else
   * that makes the login fail, such as an inactive account) and answers `false` for a failure or a
   * {@link LoginSuccess} (with whatever else the caller needs back) for a success; it runs only
   * once the attempt is reserved. Every way a login can fail must answer `false`, not throw: a
   * throw gives the reservation back, as for an outage of the user database.
   *
   * @returns what `verify` answered.
   * @throws SecurityException 429 `ERR_ACCOUNT_LOCKED` with `Retry-After` in seconds, before
   *   `verify` runs, while the account is locked, while `maxFailures` attempts on it are already
   *   counted or in flight, or while the client is over its daily cap.
   */
  async attempt<T extends LoginSuccess>(
    account: string,
    ip: string,
    verify: () => Promise<T | false>,
  ): Promise<T | false> {
    if (typeof account !== 'string') throw new TypeError('LoginAttemptsService: account must be a string.');
    const accountHash = this.pseudonyms.account(account);
    const clientHash = this.pseudonyms.client(ip);
    const reservation = await this.reserve(accountHash, clientHash);
    let outcome: T | false;
    try {
      outcome = await verify();
    } catch (error) {
      await this.store.release([reservation.account, reservation.client].map(giveBack));
      throw error;
    }
    const source = typeof ip === 'string' && ip.length > 0 ? { ip } : {};
    if (outcome === false) {
      await this.failed(accountHash, clientHash, reservation, source);
    } else {
      await this.succeeded(accountHash, clientHash, reservation, outcome, source);
    }
    return outcome;
  }

  /**
   * Takes one attempt from the account (refused while its lock exists or its count is full: one
   * atomic step, as both keys share the account's hash tag) and one from the client's daily cap.
   * The two are separate store calls (different Cluster slots): when one is refused, the other is
   * given back.
   */
  private async reserve(accountHash: string, clientHash: string): Promise<Reservation> {
    const [account, client] = await Promise.allSettled([
      this.store.reserve([
        // Cost 0 and limit 0: refused while the lock holds its end time (a positive integer), never charged.
        { key: accountLockKey(accountHash), cost: 0, limit: 0, windowMs: this.lockoutMs },
        // 24 hours bounds how long an idle count is kept; "consecutive" ends with a success or a lockout.
        { key: accountFailuresKey(accountHash), cost: 1, limit: this.maxFailures, windowMs: DAY_MS },
      ]),
      this.store.reserve([
        { key: clientFailuresKey(clientHash), cost: 1, limit: this.maxClientFailures, windowMs: DAY_MS },
      ]),
    ]);
    const held: Slot[] = [];
    if (account.status === 'fulfilled' && account.value.reserved) {
      held.push(slotOf(accountFailuresKey(accountHash), account.value.counters[1]));
    }
    if (client.status === 'fulfilled' && client.value.reserved) {
      held.push(slotOf(clientFailuresKey(clientHash), client.value.counters[0]));
    }
    if (held.length === 2) return { account: held[0], client: held[1] };
    if (held.length > 0) await this.store.release(held.map(giveBack));

    const now = this.now();
    if (account.status === 'rejected') {
      // A lock value that is not an end time (written by someone else, or corrupted): locked all the same.
      if (account.reason instanceof TypeError) throw tooManyFailures(this.lockoutMs / 1000, 'account locked');
      throw account.reason;
    }
    if (!account.value.reserved) {
      const [lock] = account.value.counters;
      if (lock.full) throw tooManyFailures(retryAfterSeconds(lock.value, now, this.lockoutMs), 'account locked');
      // Every remaining attempt is in flight: a lockout is about to start, or a success to reset the count.
      throw tooManyFailures(this.lockoutMs / 1000, 'account failure budget in use');
    }
    if (client.status === 'rejected') throw client.reason;
    throw tooManyFailures(
      Math.max(1, Math.ceil(client.value.counters[0].resetMs / 1000)),
      'client over its daily failure cap',
    );
  }

  /** A failed login keeps its reservations; the one that fills a limit locks the account or blocks the client. */
  private async failed(
    accountHash: string,
    clientHash: string,
    reservation: Reservation,
    source: { ip?: string },
  ): Promise<void> {
    const now = this.now();
    const accountClientFailures = await this.store.increment(accountClientFailuresKey(accountHash, clientHash), DAY_MS);
    this.events.emit({
      type: 'authentication.failure',
      reason: 'bad_credentials',
      ...source,
      details: {
        accountHash,
        accountFailures: reservation.account.value,
        accountClientFailures: accountClientFailures.value,
        clientFailures: reservation.client.value,
      },
    });
    const pending: Promise<void>[] = [];
    if (reservation.account.value >= this.maxFailures) {
      pending.push(this.lockAccount(accountHash, reservation.account.value, now, source));
    }
    if (reservation.client.value >= this.maxClientFailures) {
      pending.push(this.blockClient(clientHash, reservation.client.value, reservation.client.resetMs, now, source));
    }
    await Promise.all(pending);
  }

  /**
   * A successful login: the account's consecutive-failure counts start again from zero, the
   * client's reserved unit is given back (only failures count against its daily cap), and an
   * `authentication.success` event records who signed in from where.
   */
  private async succeeded(
    accountHash: string,
    clientHash: string,
    reservation: Reservation,
    outcome: LoginSuccess,
    source: { ip?: string },
  ): Promise<void> {
    await Promise.all([
      this.store.delete(accountFailuresKey(accountHash)),
      this.store.delete(accountClientFailuresKey(accountHash, clientHash)),
      this.store.release([giveBack(reservation.client)]),
    ]);
    const principalId = typeof outcome === 'object' && outcome !== null ? outcome.principalId : undefined;
    this.events.emit({
      type: 'authentication.success',
      reason: 'password',
      ...(principalId !== undefined ? { principalId } : {}),
      ...source,
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
    const locked = await this.store.setIfAbsent(
      accountLockKey(accountHash),
      String(now + this.lockoutMs),
      this.lockoutMs,
    );
    if (!locked) return;
    // Only once the lock refuses new attempts: the count restarts, so after the lockout the account
    // gets maxFailures attempts again. Attempts still in flight give back nothing to a deleted count.
    await this.store.delete(accountFailuresKey(accountHash));
    this.events.emit({
      type: 'authentication.lockout',
      reason: 'account_failures',
      ...source,
      details: { accountHash, failures, lockoutSeconds: this.lockoutMs / 1000 },
    });
  }

  private async blockClient(
    clientHash: string,
    failures: number,
    windowLeftMs: number,
    now: number,
    source: { ip?: string },
  ): Promise<void> {
    // The count itself refuses the client; this marker only makes the event fire once per window.
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

/** One reserved unit: its counter, the count it made, and the window it was taken from. */
interface Slot {
  readonly key: string;
  readonly value: number;
  readonly resetMs: number;
}

interface Reservation {
  readonly account: Slot;
  readonly client: Slot;
}

function slotOf(key: string, counter: ReservedCounter): Slot {
  return { key, value: counter.value, resetMs: counter.resetMs };
}

function giveBack(slot: Slot): ReleaseRequest {
  return { key: slot.key, cost: 1, resetMs: slot.resetMs };
}

function tooManyFailures(seconds: number, reason: string): SecurityException {
  return new SecurityException(429, ErrorCode.ACCOUNT_LOCKED, {
    headers: { 'Retry-After': String(seconds) },
    reason,
  });
}

/** Whole seconds until `untilMs` (epoch ms), at most `fallbackMs`; `fallbackMs` when it is not a time. Never below 1. */
function retryAfterSeconds(untilMs: number, now: number, fallbackMs: number): number {
  const leftMs = Number.isFinite(untilMs) ? Math.min(untilMs - now, fallbackMs) : fallbackMs;
  return Math.max(1, Math.ceil(leftMs / 1000));
}
