import { Inject, Injectable, Logger } from '@nestjs/common';
import { SecurityEventBus } from '../audit/security-event.bus';
import { UnauthenticatedException } from '../errors/security.exception';
import type { Authenticator } from './authenticator';
import { callsCredentialGate, passCredentialGate } from './credential-gate';
import { VerifiedTokenCache } from './jwt-verified-cache';
import { JwtRefusal, refusalOf, type JwtFailureReason } from './jwt-refusal';
import { bearerTokenOf, JwtStrategy, MAX_ACCESS_TOKEN_LENGTH } from './jwt.strategy';
import { RevocationService } from './revocation.service';
import type { SecurityPrincipal, SecurityRequest } from './security-principal';
import { eventContext } from '../audit/event-context';

/** How many verified tokens each instance remembers (about 1 KB each for our tokens). */
const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** Longest header worth looking at: the scheme, some spaces and the largest accepted token. */
const MAX_HEADER_LENGTH = MAX_ACCESS_TOKEN_LENGTH + 64;

type Outcome = { principal: SecurityPrincipal } | { refusal: JwtRefusal };

/** The per-attempt functions Passport adds to a strategy before calling `authenticate`. */
interface PassportAttempt {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  authenticate(request: unknown, options?: object): void;
}

/**
 * What the authenticator needs of {@link JwtStrategy}. Typed here, not as the class, so that the
 * package's declarations never reach passport-jwt's (which has no bundled types).
 */
interface BearerStrategy {
  authenticate(request: unknown, options?: object): void;
}

/**
 * Authenticates `Authorization: Bearer <access token>` through {@link JwtStrategy}.
 *
 * - no Authorization header: not this authenticator's business (null);
 * - a header that is not `Bearer <token>` with exactly one space (RFC 6750): 401 `invalid_request`;
 * - a bearer token that fails any check, or is revoked: 401 `invalid_token`.
 *
 * The strategy is run the way Passport runs it (a per-attempt object with success/fail/error),
 * but on this instance rather than through Passport's process-wide registry, where a second
 * application in the same process would replace it; Passport never sees the response.
 * Verified tokens are cached until their `exp`; revocation is checked on every request.
 * Every refusal emits `authentication.failure` with a short reason, never the token.
 */
@Injectable()
export class JwtAuthenticator implements Authenticator {
  readonly name = 'jwt';
  protected readonly logger = new Logger('JwtAuthenticator');
  private readonly cache = new VerifiedTokenCache(VERIFIED_TOKEN_CACHE_SIZE);

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(JwtStrategy) private readonly strategy: BearerStrategy,
    private readonly revocation: RevocationService,
    private readonly events: SecurityEventBus,
  ) {
    callsCredentialGate(this);
  }

  async authenticate(request: SecurityRequest): Promise<SecurityPrincipal | null> {
    const header = request.headers.authorization;
    if (header === undefined) return null;
    // A token this instance already verified costs a map lookup: only the other paths (signature
    // verification, refusals and their events) wait for the rate-limit pre-check.
    const cached = typeof header === 'string' && header.length <= MAX_HEADER_LENGTH ? bearerTokenOf(header) : null;
    let principal =
      cached !== null && cached.length <= MAX_ACCESS_TOKEN_LENGTH
        ? this.cache.get(cached, Date.now() / 1000)
        : undefined;
    if (principal === undefined) {
      await passCredentialGate(request);
      // An array means the header was sent twice: ambiguous, so refused rather than picking one.
      if (typeof header !== 'string') throw this.refuse(request, new JwtRefusal('malformed_header'));
      if (header.length > MAX_HEADER_LENGTH) throw this.refuse(request, new JwtRefusal('too_large'));
      // The strategy reads the header with the same function, so the string cached here is the
      // string it verified.
      const token = bearerTokenOf(header);
      if (token === null) throw this.refuse(request, new JwtRefusal('malformed_header'));
      if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw this.refuse(request, new JwtRefusal('too_large'));
      const outcome = await this.verify(request);
      if ('refusal' in outcome) throw this.refuse(request, outcome.refusal);
      principal = outcome.principal;
      this.cache.set(token, principal, Date.now() / 1000);
    }
    if (await this.revocation.isRevoked(principal)) {
      await passCredentialGate(request);
      throw this.refuse(request, new JwtRefusal('revoked'), principal.id);
    }
    return principal;
  }

  /** Runs the Passport strategy once on this request. */
  private verify(request: SecurityRequest): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const attempt = Object.create(this.strategy) as PassportAttempt;
      attempt.success = (user) => {
        if (isPrincipal(user)) resolve({ principal: user });
        else resolve({ refusal: new JwtRefusal('invalid') });
      };
      attempt.fail = (challenge) => resolve({ refusal: refusalOf(challenge) });
      attempt.error = (error) => {
        const refusal = refusalOf(error);
        if (!(error instanceof JwtRefusal))
          this.logger.warn(`Access-token verification failed unexpectedly (${refusal.reason}).`);
        resolve({ refusal });
      };
      // Neither is a valid outcome for a bearer token; both would otherwise leave the request hanging.
      attempt.redirect = () => resolve({ refusal: new JwtRefusal('invalid') });
      attempt.pass = () => resolve({ refusal: new JwtRefusal('invalid') });
      try {
        attempt.authenticate(request, { session: false });
      } catch (error) {
        attempt.error(error);
      }
    });
  }

  /** Reports the refusal (never the token) and returns the 401 to throw. */
  private refuse(request: SecurityRequest, refusal: JwtRefusal, principalId?: string): UnauthenticatedException {
    const { reason } = refusal;
    this.events.emit({
      type: 'authentication.failure',
      reason,
      ...eventContext(request),
      ...(principalId !== undefined ? { principalId } : {}),
      details: { authMethod: 'jwt', ...(refusal.claim !== undefined ? { claim: refusal.claim } : {}) },
    });
    return new UnauthenticatedException(`bearer token refused: ${refusal.message}`, bearerError(reason));
  }
}

function bearerError(reason: JwtFailureReason): 'invalid_token' | 'invalid_request' {
  return reason === 'malformed_header' ? 'invalid_request' : 'invalid_token';
}

function isPrincipal(value: unknown): value is SecurityPrincipal {
  const p = value as Partial<SecurityPrincipal> | null;
  return typeof p === 'object' && p !== null && typeof p.id === 'string' && p.authMethod === 'jwt';
}
