import { Inject, Injectable, Logger } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { CredentialFieldMatcher } from './credential-fields';

/** Bound on remembered warnings, so arbitrary keys cannot grow the set without limit. */
const MAX_REPORTED = 10_000;

/**
 * The last line of defence against credentials in responses (OWASP API3): a field named like a
 * credential (`credentialFields`) that was not declared visible on a response class is refused.
 * Plain objects skip projection entirely (`return user` from a repository sends everything), so
 * this is what stops `passwordHash` going out when a handler forgets its response class.
 *
 * `audit.mode: 'strict'` (default) refuses the whole response with a 500 (`ERR_RESPONSE_CREDENTIAL`)
 * and logs the route and field name (never the value); `warn` drops the field and logs once per
 * route and field.
 */
@Injectable()
export class CredentialTripwire {
  private readonly logger = new Logger('ApiSecurity');
  private readonly matcher: CredentialFieldMatcher;
  private readonly strict: boolean;
  private readonly reported = new Set<string>();

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(API_SECURITY_OPTIONS)
    options: {
      audit: Pick<ResolvedApiSecurityOptions['audit'], 'mode'>;
      credentialFields: ResolvedApiSecurityOptions['credentialFields'];
    },
  ) {
    this.matcher = new CredentialFieldMatcher(options.credentialFields);
    this.strict = options.audit.mode === 'strict';
  }

  /** False when `credentialFields.names` is empty. */
  get enabled(): boolean {
    return this.matcher.enabled;
  }

  /** Whether a field of this name may only be sent when a response class declares it visible. */
  matches(key: string): boolean {
    return this.matcher.matches(key);
  }

  /**
   * Called for an undeclared credential field about to be sent. Throws in strict mode; in warn mode
   * returns, and the caller drops the field.
   */
  trip(route: string | undefined, key: string): void {
    const where = route ?? 'a response projected outside a route';
    const once = this.once(`${where}\u0000${key}`);
    const message =
      `${where} returned a field named like a credential ("${key}") that no response class declares visible: ` +
      `return a response class that leaves it out, or mark it @VisibleTo(...) if it must be sent`;
    if (this.strict) {
      if (once) this.logger.error(`${ErrorCode.RESPONSE_CREDENTIAL} ${message}; the response was refused.`);
      throw new SecurityException(500, ErrorCode.RESPONSE_CREDENTIAL, { reason: message });
    }
    if (once) this.logger.warn(`${message}; the field was removed (audit.mode 'warn').`);
  }

  private once(key: string): boolean {
    if (this.reported.has(key)) return false;
    if (this.reported.size >= MAX_REPORTED) this.reported.clear();
    this.reported.add(key);
    return true;
  }
}
