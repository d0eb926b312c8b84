import { Inject, Injectable } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { recordBodyFacts } from '../common/body-facts';
import type { SecurityRequest } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { inspectJsonShape } from './json-shape';
import type { ResolvedRequestLimits } from './request-limits.options';

/** Methods whose body neither adapter parses (Fastify ignores it; a handler should too). */
const BODILESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Body checks that need the route or the parsed body: a body that no parser read, a route's own
 * `@BodyLimit`, and the JSON shape limits. Runs in the guard, after the request has been counted
 * and before any pipe or controller sees the body. Its walk of the body is the guard's only one:
 * what it finds about prototype keys is recorded for `write-policy` (see `common/body-facts.ts`).
 */
@Injectable()
export class RequestLimitsStep implements SecurityStep {
  readonly name: string = 'request-limits';
  protected readonly limits: ResolvedRequestLimits;

  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    this.limits = options.requestLimits;
  }

  /** Every route: a body nobody parsed is refused whatever the route. */
  appliesTo(_plan: RoutePlan): boolean {
    return true;
  }

  run({ request, plan }: SecurityStepContext): void {
    this.checkParsed(request);
    if (plan.bodyLimitBytes !== undefined) this.checkSize(request, plan.bodyLimitBytes);
    const body = (request as { body?: unknown }).body;
    if (body === undefined || body === null || typeof body !== 'object') return;
    const { violation, prototypeKeys } = inspectJsonShape(body, this.limits);
    if (violation) {
      throw new SecurityException(400, ErrorCode.BODY_SHAPE, { reason: `JSON body exceeds the ${violation} limit` });
    }
    // The same walk looked for prototype keys: `write-policy` refuses them in its place in the
    // chain (after roles and ownership, as before) without walking the body again.
    recordBodyFacts(request, { body, prototypeKeys });
  }

  /**
   * A declared body that no parser read reaches pipes and handlers as "no body", so a PATCH would
   * succeed having changed nothing and checked nothing. That happens when the content type passed
   * the hardening gate (any `application/*+json`) but the application registered no parser for it
   * (Express parses only `application/json` by default): 415, as for any type the API does not read.
   */
  protected checkParsed(request: SecurityRequest & { body?: unknown }): void {
    if (request.body !== undefined || BODILESS_METHODS.has(request.method)) return;
    const length = request.headers['content-length'];
    const declared = typeof length === 'string' ? Number(length) : 0;
    if (request.headers['transfer-encoding'] === undefined && !(declared > 0)) return;
    const type = request.headers['content-type'];
    throw new SecurityException(415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, {
      reason: `no parser read the body of type ${JSON.stringify(type ?? null).slice(0, 80)}`,
    });
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
