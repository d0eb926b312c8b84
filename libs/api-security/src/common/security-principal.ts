/** Who is calling, once authentication has succeeded. The only identity the library trusts. */
export interface SecurityPrincipal {
  /** Stable user or client id (the token's `sub`). */
  readonly id: string;
  /** Role names as issued; the role hierarchy expands them when checking. */
  readonly roles: readonly string[];
  /** How the caller authenticated, e.g. `jwt` or `api-key`. */
  readonly authMethod: string;
  /** Scopes granted to this credential (API keys); empty for full user sessions. */
  readonly scopes: readonly string[];
  /** The credential's id (`jti` or API key id), for revocation and audit. */
  readonly tokenId?: string;
  /** Refresh-token family the access token belongs to (`sid` claim), for logout. */
  readonly sessionId?: string;
  /** Credential issue time, epoch seconds (`iat`). */
  readonly issuedAt?: number;
  /** Credential expiry, epoch seconds (`exp`). */
  readonly expiresAt?: number;
  /**
   * RFC 7638 thumbprint of the key the token is bound to (`cnf.jkt`, RFC 9449). Set only for
   * DPoP-bound tokens, which the library accepts only with a valid proof of that key.
   */
  readonly keyThumbprint?: string;
  /** External issuer of the access token (`jwt.trustedIssuers`); undefined for the library's own credentials. */
  readonly issuer?: string;
  /** OAuth client the external access token was issued to (`client_id`, or the configured claim). */
  readonly clientId?: string;
  /**
   * External access tokens: `client` when no user is involved (client credentials grant: `sub`
   * is the client's id, RFC 9068 §2.2), else `user`.
   */
  readonly subjectType?: 'user' | 'client';
}

/** Request property that carries the principal (Passport's `user` is set to the same object). */
export const PRINCIPAL_KEY = 'principal';

/** The request shape the library reads; works for Express and Fastify requests alike. */
export interface SecurityRequest {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  url: string;
  ip?: string;
  principal?: SecurityPrincipal;
  user?: unknown;
  id?: string | number;
  requestId?: string;
}
