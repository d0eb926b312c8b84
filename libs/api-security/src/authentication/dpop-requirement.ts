import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { REQUIRE_DPOP_KEY } from './require-dpop.decorator';

/**
 * Whether a route requires DPoP: `dpop.required`, or `@RequireDpop()` on the handler or its
 * controller. Read once per handler and remembered (metadata does not change after boot).
 */
@Injectable()
export class DpopRequirement {
  private readonly global: boolean;
  private readonly byHandler = new WeakMap<object, boolean>();

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    private readonly reflector: Reflector,
  ) {
    this.global = options.dpop.required;
  }

  requiredFor(context: ExecutionContext): boolean {
    if (this.global) return true;
    const handler = context.getHandler();
    let required = this.byHandler.get(handler);
    if (required === undefined) {
      required = this.reflector.getAllAndOverride<boolean>(REQUIRE_DPOP_KEY, [handler, context.getClass()]) === true;
      this.byHandler.set(handler, required);
    }
    return required;
  }
}
