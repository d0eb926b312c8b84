import { Injectable } from '@nestjs/common';
import { SecurityEventBus } from '../audit/security-event.bus';
import { UnauthenticatedException } from '../errors/security.exception';
import type { Authenticator } from './authenticator';
import { readBearerHeader } from './bearer-token';
import { callsCredentialGate, passCredentialGate } from '../common/credential-gate';
import { deferRevocation } from '../common/deferred-revocation';
import { JwtRefusal, refusalEvent, refusalOf, type JwtFailureReason } from './jwt-refusal';
import { JwtVerifier } from './jwt.verifier';
import { revocationRecordsOf, revokedByRecords } from './revocation-records';
import { RevocationService } from './revocation.service';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';

/**
 * Authenticates `Authorization: Bearer <access token>` through {@link JwtVerifier}, the one
 * verification path (the Passport strategy `api-security-jwt` uses it too).
 *
 * - no Authorization header: not this authenticator's business (null);
 * - a header that is not `Bearer <token>` with exactly one space (RFC 6750): 401 `invalid_request`;
 * - a bearer token that fails any check, or is revoked: 401 `invalid_token`.
 *
 * Verified tokens are cached until their `exp`; revocation is checked on every request, by the
 * rate-limit step in its charge's store call where one applies (see `common/deferred-revocation`),
 * here otherwise.
 * Every refusal emits `authentication.failure` with a short reason, never the token.
 */
@Injectable()
export class JwtAuthenticator implements Authenticator {
  readonly name = 'jwt';

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly verifier: JwtVerifier,
    private readonly revocation: RevocationService,
    private readonly events: SecurityEventBus,
  ) {
    callsCredentialGate(this);
  }

  async authenticate(request: SecurityRequest): Promise<SecurityPrincipal | null> {
    const header = request.headers.authorization;
    if (header === undefined) return null;
    const token = readBearerHeader(header);
    // A token this instance already verified costs a map lookup: only the other paths (signature
    // verification, refusals and their events) wait for the rate-limit pre-check.
    let principal = typeof token === 'string' ? this.verifier.cached(token) : undefined;
    if (principal === undefined) {
      await passCredentialGate(request);
      if (token instanceof JwtRefusal) throw this.refuse(request, token);
      try {
        principal = await this.verifier.verify(token);
      } catch (error) {
        throw this.refuse(request, refusalOf(error));
      }
    }
    const verified = principal;
    // Where the rate limit charges this request, it reads the revocation records in the same store
    // call (one round trip) and refuses the request exactly as below when the token is revoked.
    const deferred = deferRevocation(request, () => ({
      records: revocationRecordsOf(verified),
      isRevoked: (stamp, marks) => revokedByRecords(verified, stamp, marks),
      refuse: () => this.refuseRevoked(request, verified),
    }));
    if (!deferred && (await this.revocation.isRevoked(verified))) throw await this.refuseRevoked(request, verified);
    return verified;
  }

  /** A revoked token: the gate first (a failure event is costly), then the event and the 401. */
  private async refuseRevoked(
    request: SecurityRequest,
    principal: SecurityPrincipal,
  ): Promise<UnauthenticatedException> {
    await passCredentialGate(request);
    return this.refuse(request, new JwtRefusal('revoked'), principal.id);
  }

  /** Reports the refusal (never the token) and returns the 401 to throw. */
  private refuse(request: SecurityRequest, refusal: JwtRefusal, principalId?: string): UnauthenticatedException {
    this.events.emit(refusalEvent(request, refusal, principalId));
    return new UnauthenticatedException(`bearer token refused: ${refusal.message}`, bearerError(refusal.reason));
  }
}

function bearerError(reason: JwtFailureReason): 'invalid_token' | 'invalid_request' {
  return reason === 'malformed_header' ? 'invalid_request' : 'invalid_token';
}
