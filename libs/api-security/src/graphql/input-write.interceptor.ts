import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { graphqlRequestOf } from '../common/graphql-context';
import type { SecurityRequest } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { WritePolicyStep } from '../properties/write-policy.step';
import { GraphqlFieldSecurity } from './field-security.installer';

/**
 * Global interceptor (`APP_INTERCEPTOR` of `GraphqlSecurityModule`): a resolver whose input sets a
 * field the principal may not write (`@WritableBy` on an `@InputType` or `@ArgsType` field, nested
 * inputs and lists of them included) is refused with `ERR_FORBIDDEN` before its pipes and body run,
 * exactly as a REST body is: the same compiled policy walker, event and refusal.
 *
 * An interceptor rather than a schema wrap: it runs after the guard, so the principal is known,
 * and on arguments @nestjs/graphql has already keyed by property name. HTTP handlers and resolvers
 * without restricted input pass through after one map lookup.
 */
@Injectable()
export class GraphqlInputWriteInterceptor implements NestInterceptor {
  private step: WritePolicyStep | undefined;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly security: GraphqlFieldSecurity,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<string>() !== 'graphql') return next.handle();
    const rule = this.security.writeRuleFor(context.getHandler());
    if (rule === undefined) return next.handle();
    const request = graphqlRequestOf(context) as SecurityRequest | undefined;
    const args = context.getArgByIndex<unknown>(1);
    if (typeof request !== 'object' || request === null) {
      // The guard refuses a resolver without a request first; never let restricted input through regardless.
      throw new SecurityException(403, ErrorCode.FORBIDDEN, {
        reason: `field_write without a request (${rule.route})`,
      });
    }
    if (typeof args === 'object' && args !== null) {
      let step = this.step;
      if (!step) this.step = step = this.moduleRef.get<WritePolicyStep>(WritePolicyStep, { strict: false });
      step.enforce(request, rule.route, args, rule.bindings);
    }
    return next.handle();
  }
}
