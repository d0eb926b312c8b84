import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResolvedApiSecurityOptions } from '../api-security.options';

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const EXPOSED_HEADERS =
  'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, ' +
  'Deprecation, Sunset, Link, WWW-Authenticate, DPoP-Nonce';

/**
 * CORS from an exact-origin allowlist. Never `*`, so credentials can be allowed safely, and
 * `Vary: Origin` always, so caches never serve one origin's answer to another.
 */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly allowedHeaders: string;

  /**
   * @param apiKeyHeader the header API keys travel in (`apiKeys.header`), which browsers may send
   *   alongside `Authorization`, `Content-Type`, `DPoP` (RFC 9449 proofs) and `X-Request-Id`.
   */
  constructor(
    private readonly options: NonNullable<ResolvedApiSecurityOptions['hardening']['cors']>,
    apiKeyHeader: string,
  ) {
    this.origins = new Set(options.origins);
    this.allowedHeaders = ['Authorization', 'Content-Type', apiKeyHeader, 'DPoP', 'X-Request-Id'].join(', ');
  }

  /** Adds CORS headers. Returns true when it answered a preflight itself. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.origins.has(origin.toLowerCase())) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (this.options.credentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    const isPreflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!isPreflight) {
      res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      return false;
    }
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', this.allowedHeaders);
    res.setHeader('Access-Control-Max-Age', String(this.options.maxAgeSeconds));
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
    return true;
  }
}
