import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { clientAddressKey } from '../common/client-address';

/**
 * Keyed pseudonyms (HMAC-SHA-256 under `audit.accountHashKey`) of the personal data that security
 * events and store keys must be able to correlate but never reveal: login accounts and client
 * addresses. A bare SHA-256 of an email is reversible by anyone with a list of emails; an HMAC is not
 * without the server's key. Each kind is hashed under its own label, so an account and an address
 * with the same text never share a pseudonym.
 *
 * Use {@link account} to find an account's events: `details.accountHash` of `authentication.*` events
 * is `account(email)`.
 */
@Injectable()
export class AuditPseudonymizer implements OnModuleInit {
  private readonly key: Buffer;
  private readonly generated: boolean;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    this.key = options.audit.accountHashKey;
    this.generated = options.audit.accountHashKeySource === 'generated';
  }

  /** Warns once at start when the key is random for this process only. */
  onModuleInit(): void {
    if (this.generated) {
      new Logger('ApiSecurity').warn(
        'audit.accountHashKey is not set and there is no JWT signing secret to derive it from: account pseudonyms ' +
          'use a random key for this process, so they change on restart and differ between instances (lockouts ' +
          'are then not shared). Set audit.accountHashKey to a random secret of 32+ bytes.',
      );
    }
  }

  /** The pseudonym of a login account: trimmed and lower-cased first, 64 hex characters. */
  account(account: string): string {
    if (typeof account !== 'string') throw new TypeError('AuditPseudonymizer: account must be a string.');
    return this.hmac('account', account.trim().toLowerCase());
  }

  /**
   * The pseudonym of a client's bucket: IPv4 as is (IPv4-mapped IPv6 as its IPv4), IPv6 by its /64
   * (one subscriber's block), anything unparseable as its text, a missing address as one shared bucket.
   * @internal
   */
  client(ip: string | undefined): string {
    // The same bucket as the rate limiter's default: a /64 holder cannot reset the cap by rotating.
    return this.hmac('client', clientAddressKey(ip?.trim().toLowerCase(), 64));
  }

  /** A short pseudonym of any other identifier (22 base64url characters). @internal */
  subject(kind: string, value: string): string {
    return createHmac('sha256', this.key).update(`${kind}\0${value}`, 'utf8').digest('base64url').slice(0, 22);
  }

  private hmac(kind: string, value: string): string {
    return createHmac('sha256', this.key).update(`${kind}\0${value}`, 'utf8').digest('hex');
  }
}
