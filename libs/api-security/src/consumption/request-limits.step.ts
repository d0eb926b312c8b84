import { Inject, Injectable } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import type { SecurityRequest } from '../authentication/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../pipeline/route-plan';
import { jsonShapeViolation } from './json-shape';
import type { ResolvedRequestLimits } from './request-limits.options';

/**
 * Body checks that need the route or the parsed body: a route's own `@BodyLimit`, and the JSON
 * shape limits. Runs in the guard, after the request has been counted and before any pipe or
 * controller sees the body.
 */
@Injectable()
export class RequestLimitsStep {
  protected readonly limits: ResolvedRequestLimits;

  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    this.limits = options.requestLimits;
  }

  run(request: SecurityRequest & { body?: unknown }, plan: RoutePlan): void {
    if (plan.bodyLimitBytes !== undefined) this.checkSize(request, plan.bodyLimitBytes);
    const body = request.body;
    if (body === undefined || body === null || typeof body !== 'object') return;
    const violation = jsonShapeViolation(body, this.limits);
    if (violation) {
      throw new SecurityException(400, ErrorCode.BODY_SHAPE, { reason: `JSON body exceeds the ${violation} limit` });
    }
  }

  protected checkSize(request: SecurityRequest & { body?: unknown }, limit: number): void {
    const declared = request.headers['content-length'];
    let size = typeof declared === 'string' ? Number(declared) : NaN;
    if (!Number.isFinite(size) && request.body !== undefined) {
      // A chunked body has no declared length: its re-serialised size is a close lower bound.
      size = Buffer.byteLength(JSON.stringify(request.body) ?? '');
    }
    if (size > limit) {
      throw new SecurityException(413, ErrorCode.PAYLOAD_TOO_LARGE, {
        reason: `body of ${size} bytes over the route limit ${limit}`,
      });
    }
  }
}
