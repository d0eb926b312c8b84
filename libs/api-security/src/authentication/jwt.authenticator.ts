import { Injectable, type ExecutionContext } from '@nestjs/common';
import { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException, UnauthenticatedException } from '../errors/security.exception';
import type { Authenticator } from './authenticator';
import {
  challengeSchemeOf,
  readAccessTokenHeader,
  type AccessTokenScheme,
  type PresentedAccessToken,
} from './dpop-authorization';
import { dpopChallenge } from './dpop-refusal';
import { DpopProofVerifier } from './dpop-proof.verifier';
import { callsCredentialGate, passCredentialGate } from '../common/credential-gate';
import { deferRevocation } from '../common/deferred-revocation';
import { rawResponse } from '../common/raw-http';
import { JwtRefusal, refusalEvent, refusalOf, type JwtFailureReason } from './jwt-refusal';
import { JwtVerifier } from './jwt.verifier';
import { revocationRecordsOf, revokedByRecords } from './revocation-records';
import { RevocationService } from './revocation.service';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';

/**
 * Authenticates `Authorization: Bearer <access token>` and `Authorization: DPoP <access token>`
 * through {@link JwtVerifier}, the one verification path (the Passport strategy `api-security-jwt`
 * uses it too).
 *
 * - no Authorization header: not this authenticator's business (null);
 * - a header that is not `Bearer <token>` or `DPoP <token>` with exactly one space (RFC 6750,
 *   RFC 9449): 401 `invalid_request`;
 * - a token that fails any check, or is revoked: 401 `invalid_token` (in the scheme it came with);
 * - a DPoP-bound token (`cnf.jkt`) needs the DPoP scheme and a valid proof, and the DPoP scheme a
 *   bound token ({@link DpopProofVerifier}): 401 `invalid_dpop_proof` / `invalid_token`.
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
    private readonly dpop: DpopProofVerifier,
  ) {
    callsCredentialGate(this);
  }

  async authenticate(request: SecurityRequest, context?: ExecutionContext): Promise<SecurityPrincipal | null> {
    const header = request.headers.authorization;
    if (header === undefined) return null;
    const known = this.knownBearer(header);
    let presented: PresentedAccessToken;
    let principal: SecurityPrincipal | undefined;
    if (known !== undefined) {
      presented = known;
      principal = known.principal;
    } else {
      const read = readAccessTokenHeader(header);
      if (read instanceof JwtRefusal) {
        await passCredentialGate(request);
        throw this.refuse(request, read, undefined, challengeSchemeOf(header));
      }
      presented = read;
      // A token this instance already verified costs a map lookup: only the other paths (signature
      // verification, refusals and their events) wait for the rate-limit pre-check.
      principal = this.verifier.cached(read.token);
    }
    if (principal === undefined) {
      await passCredentialGate(request);
      try {
        principal = await this.verifier.verify(presented.token);
      } catch (error) {
        throw this.refuse(request, refusalOf(error), undefined, presented.scheme);
      }
    }
    const verified = principal;
    const scheme = presented.scheme;
    // Where the rate limit charges this request, it reads the revocation records in the same store
    // call (one round trip) and refuses the request exactly as below when the token is revoked.
    const deferred = deferRevocation(request, () => ({
      records: revocationRecordsOf(verified),
      isRevoked: (stamp, marks) => revokedByRecords(verified, stamp, marks),
      refuse: () => this.refuseRevoked(request, verified, scheme),
    }));
    if (!deferred && (await this.revocation.isRevoked(verified))) {
      throw await this.refuseRevoked(request, verified, scheme);
    }
    // RFC 9449: a bound token only with the DPoP scheme and a valid proof; the scheme only with a bound token.
    if (scheme === 'DPoP' || verified.keyThumbprint !== undefined) {
      await passCredentialGate(request);
      const freshNonce = await this.dpop.check(request, presented, verified);
      // RFC 9449 §8.2: the next nonce rides on the successful response, before the client's expires.
      if (freshNonce !== undefined && context !== undefined) {
        rawResponse(context.switchToHttp().getResponse()).setHeader('DPoP-Nonce', freshNonce);
      }
    }
    return verified;
  }

  /**
   * `Bearer <token>` written exactly so, with a JWT this instance verified: the header read without
   * the grammar's pattern, whose scan of a 300-character token cost some 3,600 instructions per
   * request (callgrind). The same answer as {@link readAccessTokenHeader}: every verified JWT is
   * base64url segments and dots (checked before verification), which the pattern accepts after
   * exactly `Bearer `; any other spelling (another case, two spaces, a trailing space) leaves a
   * string no verified token equals, so it misses and is read in full.
   */
  private knownBearer(header: string | readonly string[]): KnownBearer | undefined {
    if (typeof header !== 'string' || !header.startsWith(BEARER_PREFIX)) return undefined;
    const token = header.slice(BEARER_PREFIX.length);
    const principal = this.verifier.cachedJws(token);
    return principal === undefined ? undefined : { scheme: 'Bearer', token, principal };
  }

  /** A revoked token: the gate first (a failure event is costly), then the event and the 401. */
  private async refuseRevoked(
    request: SecurityRequest,
    principal: SecurityPrincipal,
    scheme: AccessTokenScheme,
  ): Promise<SecurityException> {
    await passCredentialGate(request);
    return this.refuse(request, new JwtRefusal('revoked'), principal.id, scheme);
  }

  /**
   * Reports the refusal (never the token) and returns the 401 to throw, challenging in the scheme
   * the token came with (RFC 9449 §7.1: a DPoP request gets a `DPoP` challenge with `algs`).
   */
  private refuse(
    request: SecurityRequest,
    refusal: JwtRefusal,
    principalId?: string,
    scheme: AccessTokenScheme = 'Bearer',
  ): SecurityException {
    this.events.emit(refusalEvent(request, refusal, principalId));
    if (refusal.reason === 'introspection_unavailable') {
      // Fail closed, but not as the client's fault: the token may be good, the provider could not say.
      return new SecurityException(503, ErrorCode.STORE_UNAVAILABLE, {
        reason: 'opaque token could not be introspected',
        headers: { 'Retry-After': '1' },
      });
    }
    const reason = `${scheme === 'DPoP' ? 'DPoP' : 'bearer'} token refused: ${refusal.message}`;
    if (scheme === 'DPoP') {
      return new SecurityException(401, ErrorCode.UNAUTHENTICATED, {
        reason,
        headers: { 'WWW-Authenticate': dpopChallenge(this.dpop.algorithms, bearerError(refusal.reason)) },
      });
    }
    return new UnauthenticatedException(reason, bearerError(refusal.reason));
  }
}

/** The header's usual spelling (RFC 6750 §2.1), the only one {@link JwtAuthenticator} reads without the pattern. */
const BEARER_PREFIX = 'Bearer ';

/** A bearer token found in the verified-token cache, with its principal. */
interface KnownBearer extends PresentedAccessToken {
  readonly principal: SecurityPrincipal;
}

/** The RFC 6750 §3.1 / RFC 9449 §7.1 error code: a header that cannot be read is `invalid_request`. */
function bearerError(reason: JwtFailureReason): 'invalid_token' | 'invalid_request' {
  return reason === 'malformed_header' ? 'invalid_request' : 'invalid_token';
}
