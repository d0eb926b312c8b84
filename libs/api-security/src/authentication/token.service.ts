import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { JwtKeyService } from './jwt-key.service';
import { userValidAfterKey } from './revocation.keys';

/** `typ` header of access tokens (RFC 9068). The verifier refuses any other. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** Who the access token is for. */
export interface AccessTokenClaims {
  /** User id. */
  sub: string;
  /** The user's role, as the authorization layer will read it. */
  role: string;
  /** Refresh-token family (session) the token belongs to, so logout can end both. */
  sid?: string;
}

/** A signed access token and what the client needs to know about it. */
export interface IssuedAccessToken {
  /** The compact JWS, to send as `Authorization: Bearer <token>`. */
  token: string;
  /** Its `jti`, for revocation. */
  jti: string;
  /** Lifetime in seconds (`exp - iat`). */
  expiresIn: number;
  /** `exp`, epoch seconds. */
  expiresAt: number;
}

/**
 * Issues access tokens: `sub`, `role`, `jti` (random UUID), whole-second `iat`, `exp`, `iss`, `aud`
 * and optional `sid`; header `alg`, `typ: at+jwt` and `kid` for asymmetric keys.
 */
@Injectable()
export class TokenService {
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly keys: JwtKeyService,
    @InjectSecurityStore('revocation') private readonly store: SecurityStore,
    @Inject(API_SECURITY_OPTIONS) private readonly options: ResolvedApiSecurityOptions,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.now = clock ?? systemClock;
  }

  /**
   * Signs a new access token. Reads the user's revocation stamp once, so that a token issued right
   * after "revoke everything" (even within the same second) is not born revoked.
   */
  async issueAccessToken(claims: AccessTokenClaims): Promise<IssuedAccessToken> {
    const { sub, role, sid } = claims;
    assertClaim(sub, 'sub');
    assertClaim(role, 'role');
    if (sid !== undefined) assertClaim(sid, 'sid');
    const { issuer, audience, accessTokenTtlSeconds } = this.options.jwt;

    const stamp = await this.store.get(userValidAfterKey(sub));
    const nowSeconds = Math.floor(this.now() / 1000);
    const stampMs = stamp === null ? Number.NaN : Number(stamp);
    // Revocation compares iat*1000 < stamp, and iat has whole seconds: a floor(now) iat in the
    // second of the stamp would count as "before" it. An unreadable stamp is left to the verifier,
    // which treats it as revoking everything (fail closed).
    const iat = Number.isFinite(stampMs) ? Math.max(nowSeconds, Math.ceil(stampMs / 1000)) : nowSeconds;
    const exp = iat + accessTokenTtlSeconds;
    const jti = randomUUID();
    const token = await this.keys.sign(
      { sub, role, jti, iat, exp, iss: issuer, aud: audience, ...(sid !== undefined ? { sid } : {}) },
      ACCESS_TOKEN_TYP,
    );
    return { token, jti, expiresIn: accessTokenTtlSeconds, expiresAt: exp };
  }
}

function assertClaim(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`TokenService.issueAccessToken: ${name} must be a non-empty string.`);
  }
}
