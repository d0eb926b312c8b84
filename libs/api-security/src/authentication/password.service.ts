import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { ValidationProblemException } from '../errors/security.exception';
import { commonPasswords, passwordPolicyViolation } from './password.policy';

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password.policy';

/**
 * Password hashing with argon2id (parameters from `sessions.argon2`, OWASP's m=19456 KiB, t=2, p=1
 * by default) and the password policy.
 *
 * {@link verify} spends the same work whether or not the account exists: a missing hash is
 * verified against a dummy hash made with the same parameters, so response times do not tell
 * which emails are registered. Passwords never reach a log, an error or an event.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private readonly logger = new Logger('PasswordService');
  private readonly parameters: argon2.HashOptions & { type: typeof argon2.argon2id };
  private dummy: Promise<string> | undefined;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    const { memoryCost, timeCost, parallelism } = options.sessions.argon2;
    this.parameters = { type: argon2.argon2id, memoryCost, timeCost, parallelism };
  }

  /**
   * Computes the dummy hash and loads the common-password list at boot, so neither the first login
   * of an unknown email nor the first registration is the slow one.
   */
  async onModuleInit(): Promise<void> {
    commonPasswords();
    await this.dummyHash();
  }

  /** An argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt. */
  async hash(password: string): Promise<string> {
    if (typeof password !== 'string') throw new TypeError('PasswordService.hash: password must be a string.');
    return argon2.hash(password, this.parameters);
  }

  /**
   * Whether `password` matches `hash`. A missing hash (unknown account, account without a password)
   * and an unreadable one are answered `false` after the same amount of work as a real check.
   */
  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    const candidate = typeof password === 'string' ? password : '';
    if (typeof hash === 'string' && hash.startsWith('$argon2')) {
      try {
        return (await argon2.verify(hash, candidate)) && typeof password === 'string';
      } catch {
        // A corrupt stored hash: refuse, but say so (without the hash) so it gets fixed.
        this.logger.warn('A stored password hash could not be read; the login was refused.');
      }
    } else if (typeof hash === 'string' ? hash !== '' : hash !== null && hash !== undefined) {
      this.logger.warn('A stored password hash is not an argon2 hash; the login was refused.');
    }
    await argon2.verify(await this.dummyHash(), candidate).catch(() => false);
    return false;
  }

  /**
   * Whether `hash` was made with other parameters than the configured ones (or is not argon2id),
   * so the application should re-hash the password after a successful login.
   */
  needsRehash(hash: string): boolean {
    if (typeof hash !== 'string' || !hash.startsWith('$argon2id$')) return true;
    try {
      const { memoryCost, timeCost, parallelism } = this.parameters;
      return argon2.needsRehash(hash, { memoryCost, timeCost, parallelism });
    } catch {
      return true;
    }
  }

  /**
   * Enforces the password policy that `@IsPassword()` checks in DTOs: 12 to 128 Unicode code
   * points (of the NFC form, so an emoji counts as one character), not only white space, not one
   * character repeated, not on the bundled list of common and breached passwords (compared
   * case-insensitively, after NFKC folding). Composition rules are deliberately absent
   * (NIST SP 800-63B-4 §3.1.1.2, OWASP ASVS 5.0 V6.2.5).
   * @throws ValidationProblemException (400) naming the `password` field
   */
  assertPolicy(password: string): void {
    const problem = passwordPolicyViolation(password);
    if (problem !== undefined) {
      throw new ValidationProblemException([{ field: 'password', message: problem }], 'password refused by the policy');
    }
  }

  private dummyHash(): Promise<string> {
    if (this.dummy === undefined) {
      const pending = argon2.hash(randomBytes(32), this.parameters);
      // A failed attempt is forgotten so the next call tries again instead of failing forever.
      pending.catch(() => {
        if (this.dummy === pending) this.dummy = undefined;
      });
      this.dummy = pending;
    }
    return this.dummy;
  }
}
