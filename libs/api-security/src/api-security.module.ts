import {
  Inject,
  Module,
  RequestMethod,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { ApiSecurityConfigurableModule, API_SECURITY_MODULE_OPTIONS } from './api-security.module-definition';
import {
  API_SECURITY_OPTIONS,
  resolveApiSecurityOptions,
  type ApiSecurityModuleOptions,
  type ResolvedApiSecurityOptions,
} from './api-security.options';
import { AppProviderIndex } from './common/app-provider.index';
import { API_KEY_PROVIDERS } from './authentication/api-key.providers';
import { AuthenticationStep } from './authentication/authentication.step';
import { PrincipalCheckService } from './authentication/principal-check.service';
import { AUTHORIZATION_PROVIDERS } from './authorization/authorization.providers';
import { CONSUMPTION_PROVIDERS } from './consumption/consumption.providers';
import { StoreThrottlerStorage } from './consumption/store-throttler.storage';
import { SecurityEventBus } from './audit/security-event.bus';
import { JWT_PROVIDERS } from './authentication/jwt.providers';
import { SESSION_PROVIDERS } from './authentication/session.providers';
import { FLOW_PROVIDERS } from './flows/flows.providers';
import { OUTBOUND_PROVIDERS } from './outbound/outbound.providers';
import { GlobalFilterCheck } from './hardening/global-filter.check';
import { HardeningMiddleware } from './hardening/hardening.middleware';
import { HttpServerHardener } from './hardening/http-server.hardener';
import { ProblemDetailsFilter } from './hardening/problem-details.filter';
import { SecurityHeadersService } from './hardening/security-headers.service';
import { ThresholdAlerts } from './audit/threshold-alerts.service';
import { AuditPseudonymizer } from './audit/audit-pseudonymizer.service';
import { DeprecationStep } from './inventory/deprecation.step';
import { RouteInventoryService } from './inventory/route-inventory.service';
import { BootAudit } from './pipeline/boot-audit';
import { RoutePlanRegistry } from './pipeline/route-plan.registry';
import { ROUTE_PLANS } from './plan/route-plans';
import { SecurityGuard } from './pipeline/security.guard';
import { FieldProjector } from './properties/field-projector';
import { PROPERTIES_PROVIDERS } from './properties/properties.providers';
import { SecurityValidationPipe } from './properties/security-validation.pipe';
import { createSecurityStore } from './store/security-store.factory';
import { SECURITY_STORE, type SecurityStore } from './store/security-store';
import { SECURITY_STORE_PURPOSE_PROVIDERS } from './store/security-store.purpose';

/**
 * Import once in the root module. Every route then requires an authenticated principal unless
 * marked `@Public()`, every error is problem details, every response is hardened (on every path,
 * matched or not, inside the global prefix or outside it), and the routes' security is audited at boot.
 *
 * @example
 * ```ts
 * @Module({ imports: [ApiSecurityModule.forRoot({ jwt: { algorithm: 'ES256', privateKey } })] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: API_SECURITY_OPTIONS,
      // Validation runs while the container is built, so a bad option stops the boot, not a request.
      useFactory: (options: ApiSecurityModuleOptions) => resolveApiSecurityOptions(options),
      inject: [API_SECURITY_MODULE_OPTIONS],
    },
    {
      provide: SECURITY_STORE,
      useFactory: (options: ResolvedApiSecurityOptions) => createSecurityStore(options.store),
      inject: [API_SECURITY_OPTIONS],
    },
    ...SECURITY_STORE_PURPOSE_PROVIDERS,
    AppProviderIndex,
    SecurityHeadersService,
    HttpServerHardener,
    HardeningMiddleware,
    GlobalFilterCheck,
    SecurityEventBus,
    ThresholdAlerts,
    AuditPseudonymizer,
    BootAudit,
    RoutePlanRegistry,
    { provide: ROUTE_PLANS, useExisting: RoutePlanRegistry },
    AuthenticationStep,
    PrincipalCheckService,
    ...AUTHORIZATION_PROVIDERS,
    ...CONSUMPTION_PROVIDERS,
    ...JWT_PROVIDERS,
    ...SESSION_PROVIDERS,
    ...API_KEY_PROVIDERS,
    ...FLOW_PROVIDERS,
    ...OUTBOUND_PROVIDERS,
    RouteInventoryService,
    DeprecationStep,
    { provide: APP_GUARD, useClass: SecurityGuard },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    { provide: APP_PIPE, useClass: SecurityValidationPipe },
    ...PROPERTIES_PROVIDERS,
  ],
  exports: [
    API_SECURITY_OPTIONS,
    SECURITY_STORE,
    RouteInventoryService,
    RoutePlanRegistry,
    SecurityHeadersService,
    SecurityEventBus,
    AuditPseudonymizer,
    StoreThrottlerStorage,
    FieldProjector,
    ...JWT_PROVIDERS,
    ...SESSION_PROVIDERS,
    ...API_KEY_PROVIDERS,
    ...FLOW_PROVIDERS,
    ...OUTBOUND_PROVIDERS,
  ],
})
export class ApiSecurityModule
  extends ApiSecurityConfigurableModule
  implements NestModule, OnModuleInit, OnApplicationShutdown
{
  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Inject(SECURITY_STORE) private readonly store: SecurityStore,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  /** Refuses to start on a store whose settings would drop security records (an evicting Redis). */
  async onModuleInit(): Promise<void> {
    try {
      await this.store.checkConfiguration?.();
    } catch (error) {
      // A failed init runs no shutdown hook: without this the open connection keeps the process alive.
      await this.store.close().catch(() => undefined);
      throw error;
    }
  }

  configure(consumer: MiddlewareConsumer): void {
    // On Fastify and Express the same middleware runs as an onRequest hook and as a router layer
    // before the body parsers (HttpServerHardener): cheaper than Nest middleware, and no body is read
    // before it. Other adapters get it as Nest middleware.
    const type = this.adapterHost.httpAdapter?.getType();
    if (type === 'fastify' || type === 'express') return;
    consumer.apply(HardeningMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
