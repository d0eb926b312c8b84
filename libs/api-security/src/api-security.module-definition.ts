import { ConfigurableModuleBuilder, type Provider, type Type } from '@nestjs/common';
import type { ApiSecurityModuleOptions } from './api-security.options';
import { AUTHENTICATORS, type Authenticator } from './authentication/authenticator';
import { JwtAuthenticator } from './authentication/jwt.authenticator';
import { BUILT_IN_STEPS } from './pipeline/built-in-steps';
import { assembleSteps, SECURITY_STEPS, stepClassOf, type SecurityStepEntry } from './pipeline/security-chain';
import type { SecurityStep } from './plan/security-step';

/** Module-level settings that must be known when the module is built (classes become providers). */
export interface ApiSecurityModuleExtras {
  /**
   * Authenticators tried in order on every protected route, as classes resolved through DI.
   * Add `ApiKeyAuthenticator` (and provide an `API_KEY_RESOLVER`) to accept `X-API-Key`.
   * @default [JwtAuthenticator]
   */
  authenticators?: Type<Authenticator>[];
  /**
   * The application's own steps of the security guard's chain, as classes resolved through DI
   * (they are providers of `ApiSecurityModule`: their dependencies must be global or exported by
   * it). Each goes `before` or `after` a named step, or `replace`s one; a bare class runs last.
   * Unknown names and duplicate step names stop the boot with a `SecurityStepError`.
   *
   * @example
   * ```ts
   * ApiSecurityModule.forRoot({
   *   ...options,
   *   steps: [
   *     { use: IpAllowlistStep, after: 'authentication' },
   *     { use: TenantRolesStep, replace: 'roles' }, // a subclass of RolesStep
   *   ],
   * })
   * ```
   */
  steps?: SecurityStepEntry[];
}

export const {
  ConfigurableModuleClass: ApiSecurityConfigurableModule,
  MODULE_OPTIONS_TOKEN: API_SECURITY_MODULE_OPTIONS,
  OPTIONS_TYPE: API_SECURITY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: API_SECURITY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ApiSecurityModuleOptions>({ moduleName: 'ApiSecurity' })
  .setClassMethodName('forRoot')
  .setExtras<ApiSecurityModuleExtras>({}, (definition, extras) => {
    const classes = extras.authenticators ?? [JwtAuthenticator];
    const list: Provider = {
      provide: AUTHENTICATORS,
      useFactory: (...instances: Authenticator[]) => instances,
      inject: classes,
    };
    const entries = extras.steps ?? [];
    const stepClasses = entries.map(stepClassOf);
    const own = stepClasses.filter((step, i) => !BUILT_IN_STEPS.includes(step) && stepClasses.indexOf(step) === i);
    const steps: Provider = {
      provide: SECURITY_STEPS,
      // Runs while the container is built: a chain that cannot be assembled stops the boot.
      useFactory: (...instances: SecurityStep[]) =>
        assembleSteps(instances.slice(0, BUILT_IN_STEPS.length), entries, instances.slice(BUILT_IN_STEPS.length)),
      inject: [...BUILT_IN_STEPS, ...stepClasses],
    };
    // Global: the store, the principal and the guard's collaborators are needed app-wide.
    return {
      ...definition,
      global: true,
      providers: [...(definition.providers ?? []), ...classes, list, ...own, steps],
      exports: [...(definition.exports ?? []), AUTHENTICATORS],
    };
  })
  .build();
