import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ConfigErrorCode } from '../errors/config-codes';

/** Two different providers registered under one token the library needs exactly one of. */
export class AmbiguousProviderError extends Error {
  readonly code = ConfigErrorCode.AMBIGUOUS_PROVIDER;

  constructor(
    readonly token: string,
    readonly modules: readonly string[],
  ) {
    super(
      `${token} is provided by ${modules.length} modules (${modules.join(', ')}); the library needs exactly ` +
        'one, so register it once (in one module, exported where needed).',
    );
    this.name = 'AmbiguousProviderError';
  }
}

type Token = string | symbol | ((...args: never[]) => unknown);

/**
 * The application's own hooks (ownership resolvers, flow policies, the API-key resolver, the
 * principal check, the flow escalation) are providers in the application's modules, registered
 * under the library's tokens. The library module cannot inject what it does not import, so this
 * index walks every module's providers once, at boot, and hands out the one instance registered
 * under a token. Unlike a container-wide `moduleRef.get(…, { strict: false })`, which silently
 * takes whichever it meets first, a token registered by two modules stops the boot.
 */
@Injectable()
export class AppProviderIndex {
  private byToken: Map<unknown, { instances: unknown[]; modules: string[] }> | undefined;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(private readonly discovery: DiscoveryService) {}

  /**
   * The instance registered under `token`, or undefined when none is (or it is request-scoped or
   * transient, which a boot-time decision cannot use). Call it at boot (`onModuleInit` or later):
   * every singleton exists by then.
   * @throws AmbiguousProviderError when two modules register different instances under `token`.
   */
  find<T>(token: Token): T | undefined {
    const entry = this.index().get(token);
    if (!entry) return undefined;
    if (entry.instances.length > 1) throw new AmbiguousProviderError(describe(token), entry.modules);
    return entry.instances[0] as T;
  }

  private index(): Map<unknown, { instances: unknown[]; modules: string[] }> {
    if (this.byToken) return this.byToken;
    const byToken = new Map<unknown, { instances: unknown[]; modules: string[] }>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance === undefined || instance === null || !wrapper.isDependencyTreeStatic()) continue;
      const entry = byToken.get(wrapper.token) ?? { instances: [], modules: [] };
      if (!entry.instances.includes(instance)) {
        entry.instances.push(instance);
        entry.modules.push(wrapper.host?.metatype?.name ?? 'unknown module');
      }
      byToken.set(wrapper.token, entry);
    }
    this.byToken = byToken;
    return byToken;
  }
}

function describe(token: Token): string {
  if (typeof token === 'function') return token.name;
  return typeof token === 'symbol' ? (token.description ?? 'a symbol token') : token;
}
