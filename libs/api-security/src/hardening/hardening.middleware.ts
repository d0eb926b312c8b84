import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { CorsPolicy } from './cors.policy';
import { rawRequest, rawResponse } from '../common/raw-http';
import { SecurityHeadersService } from './security-headers.service';

/**
 * `application/json` and the `+json` types (`application/merge-patch+json`, …). A `+json` body
 * passes here only to be read by a parser the application registered for it: `RequestLimitsStep`
 * refuses with 415 any body that no parser read, so such a body is never silently dropped.
 */
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

/**
 * First thing every request meets: headers, CORS, and the cheap body checks (declared size and
 * content type) made before a single body byte is parsed.
 */
@Injectable()
export class HardeningMiddleware implements NestMiddleware {
  private readonly cors: CorsPolicy | undefined;
  private readonly bodyLimit: number;

  constructor(
    private readonly headers: SecurityHeadersService,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
  ) {
    this.cors = options.hardening.cors ? new CorsPolicy(options.hardening.cors, options.apiKeys.header) : undefined;
    this.bodyLimit = options.hardening.bodyLimitBytes;
  }

  use(request: unknown, response: unknown, next: (error?: unknown) => void): void {
    const req = rawRequest(request);
    const res = rawResponse(response);
    this.headers.applyOnce(req, res);
    if (this.cors?.handle(req, res)) return;
    this.checkBody(req);
    next();
  }

  protected checkBody(req: IncomingMessage): void {
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const declared = length === undefined ? 0 : Number(length);
    if (!chunked && !(declared > 0)) return;
    if (declared > this.bodyLimit) {
      throw new SecurityException(413, ErrorCode.PAYLOAD_TOO_LARGE, { reason: `declared body ${declared} bytes` });
    }
    const type = req.headers['content-type'];
    if (typeof type !== 'string' || !JSON_TYPE.test(type)) {
      throw new SecurityException(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, {
        reason: `content type ${JSON.stringify(type ?? null).slice(0, 80)}`,
      });
    }
  }
}
