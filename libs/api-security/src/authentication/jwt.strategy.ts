import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy, type JwtFromRequestFunction, type SecretOrKeyProvider } from 'passport-jwt';
import { SecurityEventBus } from '../audit/security-event.bus';
import { bearerTokenOf, readBearerHeader } from './bearer-token';
import { JwtRefusal, refusalEvent } from './jwt-refusal';
import { DpopRefusal, dpopRefusalEvent } from './dpop-refusal';
import { JWT_STRATEGY_NAME } from './jwt-strategy-name';
import { JwtVerifier } from './jwt.verifier';
import { RevocationService } from './revocation.service';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';

export { JWT_STRATEGY_NAME };

/** Reads the token from the Authorization header only (never query, body or cookie). */
const extractBearerToken: JwtFromRequestFunction = (request) =>
  bearerTokenOf((request as { headers?: Record<string, unknown> }).headers?.authorization);

/**
 * passport-jwt requires a key provider, but {@link JwtStrategy.authenticate} never reaches
 * passport-jwt's own jsonwebtoken verification: if anything ever did, it is refused.
 */
const refuseKeyRequest: SecretOrKeyProvider = (_request, _token, done) => done(new JwtRefusal('invalid'));

/** The per-attempt functions Passport adds to a strategy before calling `authenticate` (passport-strategy). */
interface PassportAttempt {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
}

/**
 * The library's bearer-token check as a Passport strategy (`api-security-jwt`), for applications
 * that compose `AuthGuard(JWT_STRATEGY_NAME)` from `@nestjs/passport` themselves. It reads the
 * token with the same parser as {@link JwtAuthenticator} (Authorization header only, RFC 6750
 * form), verifies it through the same {@link JwtVerifier}, and checks revocation the same way, so
 * a token gets the same answer from both. A refusal reaches Passport as `fail(refusal, 401)`: the
 * `info` of `AuthGuard#handleRequest` is a typed refusal with its `reason`. A store that cannot
 * answer the revocation check is an `error` (the request fails, it never passes). It reads Bearer
 * tokens only, so a DPoP-bound token (`cnf.jkt`) is refused here (`DpopRefusal`
 * `dpop_bound_token_as_bearer`): DPoP requests go through the security guard.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY_NAME) {
  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly revocation: RevocationService,
    private readonly events: SecurityEventBus,
  ) {
    super({ jwtFromRequest: extractBearerToken, secretOrKeyProvider: refuseKeyRequest, passReqToCallback: false });
  }

  /**
   * Replaces passport-jwt's jsonwebtoken verification with the library's single path; Passport
   * still drives the attempt (success, fail, error) as with any strategy.
   */
  override authenticate(request: Parameters<InstanceType<typeof Strategy>['authenticate']>[0]): void {
    const attempt = this as unknown as PassportAttempt;
    const header = (request as { headers?: Record<string, string | string[] | undefined> }).headers?.authorization;
    // No credential at all: nothing to report (the security guard says nothing either).
    if (header === undefined) return attempt.fail(new JwtRefusal('malformed'), 401);
    const refused = (refusal: JwtRefusal, principalId?: string) => {
      this.events.emit(refusalEvent(request as unknown as SecurityRequest, refusal, principalId));
      attempt.fail(refusal, 401);
    };
    const refusedBound = (principalId: string) => {
      const refusal = new DpopRefusal('dpop_bound_token_as_bearer');
      this.events.emit(dpopRefusalEvent(request as unknown as SecurityRequest, refusal, principalId));
      attempt.fail(refusal, 401);
    };
    const token = readBearerHeader(header);
    if (token instanceof JwtRefusal) return refused(token);
    this.verifier.verify(token).then(
      (principal) =>
        // This strategy reads Bearer only, and a DPoP-bound token as Bearer is a downgrade (RFC 9449 §7.2).
        principal.keyThumbprint !== undefined
          ? refusedBound(principal.id)
          : this.revocation.isRevoked(principal).then(
              (revoked) => (revoked ? refused(new JwtRefusal('revoked'), principal.id) : attempt.success(principal)),
              (error: unknown) => attempt.error(error),
            ),
      (error: unknown) => refused(error instanceof JwtRefusal ? error : new JwtRefusal('invalid')),
    );
  }

  /**
   * The principal of a valid, unrevoked access token: what `authenticate` runs, for callers that
   * hold a token rather than a request.
   * @throws JwtRefusal when the token is refused or revoked
   */
  async validate(token: string): Promise<SecurityPrincipal> {
    const principal = await this.verifier.verify(token);
    if (principal.keyThumbprint !== undefined) throw new DpopRefusal('dpop_bound_token_as_bearer');
    if (await this.revocation.isRevoked(principal)) throw new JwtRefusal('revoked');
    return principal;
  }
}
