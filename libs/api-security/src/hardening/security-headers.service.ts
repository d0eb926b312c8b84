import { Inject, Injectable } from '@nestjs/common';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { requestPath } from './raw-http';
import { assignRequestId, REQUEST_ID_HEADER } from './request-id';

type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const API_CSP = { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } };
const DOCS_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", "'unsafe-inline'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    frameAncestors: ["'none'"],
  },
};

/**
 * Sets the headers every response carries: request id, helmet's set tuned for a JSON API,
 * `Cache-Control: no-store`. Idempotent, so the error filter can call it again for errors raised
 * before the middleware ran (e.g. a body parser's 413).
 */
@Injectable()
export class SecurityHeadersService {
  private readonly api: NodeMiddleware;
  private readonly docs: NodeMiddleware;
  private readonly docPaths: readonly string[];

  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    const common = {
      strictTransportSecurity: { maxAge: options.hardening.hstsMaxAgeSeconds, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' as const },
      crossOriginResourcePolicy: { policy: 'same-origin' as const },
      xFrameOptions: { action: 'deny' as const },
    };
    this.api = helmet({ ...common, contentSecurityPolicy: API_CSP }) as unknown as NodeMiddleware;
    this.docs = helmet({ ...common, contentSecurityPolicy: DOCS_CSP }) as unknown as NodeMiddleware;
    this.docPaths = options.hardening.documentationPaths;
  }

  /** Applies the headers and returns the request id. */
  apply(req: IncomingMessage, res: ServerResponse): string {
    const requestId = assignRequestId(req);
    if (res.headersSent) return requestId;
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const url = requestPath(req);
    const isDocs = this.docPaths.length > 0 && this.docPaths.some((p) => url === p || url.startsWith(`${p}/`));
    // helmet's middlewares only set headers and call next synchronously.
    (isDocs ? this.docs : this.api)(req, res, () => undefined);
    res.removeHeader('X-Powered-By');
    res.setHeader('Cache-Control', 'no-store');
    return requestId;
  }
}
