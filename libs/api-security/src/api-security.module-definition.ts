import { ConfigurableModuleBuilder, type Provider, type Type } from '@nestjs/common';
import type { ApiSecurityModuleOptions } from './api-security.options';
import { AUTHENTICATORS, type Authenticator } from './authentication/authenticator';
import { JwtAuthenticator } from './authentication/jwt.authenticator';

/** Module-level settings that must be known when the module is built (classes become providers). */
export interface ApiSecurityModuleExtras {
  /**
   * Authenticators tried in order on every protected route, as classes resolved through DI.
   * Add `ApiKeyAuthenticator` (and provide an `API_KEY_RESOLVER`) to accept `X-API-Key`.
   * @default [JwtAuthenticator]
   */
  authenticators?: Type<Authenticator>[];
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
    // Global: the store, the principal and the guard's collaborators are needed app-wide.
    return {
      ...definition,
      global: true,
      providers: [...(definition.providers ?? []), ...classes, list],
      exports: [...(definition.exports ?? []), AUTHENTICATORS],
    };
  })
  .build();
