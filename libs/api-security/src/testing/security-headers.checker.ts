import { headerValue, type HttpResponseLike } from './http-target';

/** Expectations for `checkSecurityHeaders`/`assertSecurityHeaders`. */
export interface SecurityHeadersCheckOptions {
  /** The request carried credentials: the response must not be cacheable (`Cache-Control: no-store`). @default false */
  authenticated?: boolean;
  /** The request sent this `X-Request-Id`: the response must echo it. */
  requestId?: string;
}

/**
 * The problems with a response's security headers, per the contract: `X-Content-Type-Options:
 * nosniff`, `Strict-Transport-Security` with a max-age, a `Content-Security-Policy` with
 * `frame-ancestors 'none'`, a `Referrer-Policy`, an `X-Request-Id`, no `X-Powered-By`, and
 * `Cache-Control: no-store` on authenticated responses. Empty when all is well.
 */
export function checkSecurityHeaders(response: HttpResponseLike, options: SecurityHeadersCheckOptions = {}): string[] {
  const problems: string[] = [];
  const header = (name: string) => headerValue(response, name);

  if (header('x-content-type-options')?.trim().toLowerCase() !== 'nosniff') {
    problems.push(`X-Content-Type-Options must be "nosniff" (got ${JSON.stringify(header('x-content-type-options'))})`);
  }
  const hsts = header('strict-transport-security');
  const maxAge = hsts === undefined ? undefined : /(?:^|;)\s*max-age=(\d+)/i.exec(hsts)?.[1];
  if (maxAge === undefined || Number(maxAge) <= 0) {
    problems.push(`Strict-Transport-Security must set a positive max-age (got ${JSON.stringify(hsts)})`);
  }
  const csp = header('content-security-policy');
  const frameAncestors = csp
    ?.split(';')
    .map((directive) => directive.trim().split(/\s+/))
    .find(([name]) => name?.toLowerCase() === 'frame-ancestors');
  if (!frameAncestors || frameAncestors.length !== 2 || frameAncestors[1] !== "'none'") {
    problems.push(`Content-Security-Policy must contain frame-ancestors 'none' (got ${JSON.stringify(csp)})`);
  }
  const referrer = header('referrer-policy');
  if (!referrer || /unsafe-url|no-referrer-when-downgrade/i.test(referrer)) {
    problems.push(`Referrer-Policy must be set to a policy that does not leak URLs (got ${JSON.stringify(referrer)})`);
  }
  const requestId = header('x-request-id');
  if (!requestId) problems.push('X-Request-Id is missing');
  else if (options.requestId !== undefined && requestId !== options.requestId) {
    problems.push(`X-Request-Id must echo ${JSON.stringify(options.requestId)} (got ${JSON.stringify(requestId)})`);
  }
  if (header('x-powered-by') !== undefined) {
    problems.push(`X-Powered-By must not be sent (got ${JSON.stringify(header('x-powered-by'))})`);
  }
  if (options.authenticated) {
    const cacheControl = header('cache-control');
    if (!cacheControl?.split(',').some((d) => d.trim().toLowerCase() === 'no-store')) {
      problems.push(
        `Cache-Control must contain no-store on an authenticated response (got ${JSON.stringify(cacheControl)})`,
      );
    }
  }
  return problems;
}

/** Throws an Error listing every problem {@link checkSecurityHeaders} finds. */
export function assertSecurityHeaders(response: HttpResponseLike, options: SecurityHeadersCheckOptions = {}): void {
  const problems = checkSecurityHeaders(response, options);
  if (problems.length > 0) throw new Error(`Security headers:\n  - ${problems.join('\n  - ')}`);
}
