import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { eventContext } from '../audit/event-context';
import { SecurityEventBus } from '../audit/security-event.bus';
import { AppProviderIndex } from '../common/app-provider.index';
import { UnauthenticatedException } from '../errors/security.exception';
import { PrincipalCheckCache } from './principal-check.cache';
import { PRINCIPAL_CHECK, type PrincipalCheck } from './principal-check';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';

/** Subjects whose answer each instance remembers. */
const MAX_CACHED_SUBJECTS = 10_000;

/**
 * Runs the application's {@link PrincipalCheck} on every authenticated principal, whatever
 * authenticated it, so that a validly signed token (or a key) of a subject that is gone or
 * deactivated gets 401 instead of reaching a handler that would answer 404 or act for nobody.
 * Without a registered check it does nothing.
 */
@Injectable()
export class PrincipalCheckService implements OnModuleInit {
  protected readonly logger = new Logger('PrincipalCheckService');
  private readonly cache: PrincipalCheckCache;
  /** undefined until looked up (once); null when the application registered none. */
  private check: PrincipalCheck | null | undefined;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly providers: AppProviderIndex,
    private readonly events: SecurityEventBus,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
  ) {
    this.cache = new PrincipalCheckCache(options.sessions.principalCheckCacheSeconds * 1000, MAX_CACHED_SUBJECTS);
  }

  /**
   * @throws UnauthenticatedException (401, `invalid_token`) when the check does not answer `true`.
   *   An error of the check propagates: the request fails, it is never let through.
   */
  async assertActive(principal: SecurityPrincipal, request: SecurityRequest): Promise<void> {
    const check = this.currentCheck();
    if (check === null) return;
    return this.assertActiveBy(check, principal, request);
  }

  /**
   * {@link assertActive} without a promise when the application registered no check: the common
   * case costs the authentication step no extra turn of the microtask queue.
   */
  assertActiveIfChecked(principal: SecurityPrincipal, request: SecurityRequest): Promise<void> | undefined {
    const check = this.currentCheck();
    return check === null ? undefined : this.assertActiveBy(check, principal, request);
  }

  private async assertActiveBy(
    check: PrincipalCheck,
    principal: SecurityPrincipal,
    request: SecurityRequest,
  ): Promise<void> {
    // An external provider's `sub` is another namespace than local ids: cached under its issuer.
    const key = principal.issuer !== undefined ? `\u0000${principal.issuer}\u0000${principal.id}` : principal.id;
    const active = await this.cache.get(key, () => check.isActive(principal.id, principal));
    if (active === true) return;
    this.events.emit({
      type: 'authentication.failure',
      reason: 'inactive_subject',
      principalId: principal.id,
      ...eventContext(request),
      details: { authMethod: principal.authMethod },
    });
    throw new UnauthenticatedException(
      'the subject of the credential no longer exists or is inactive',
      principal.authMethod === 'jwt' || principal.authMethod === 'oidc' ? 'invalid_token' : undefined,
    );
  }

  /** Resolves the application's check at boot, so a broken registration shows before the first request. */
  onModuleInit(): void {
    this.currentCheck();
  }

  /** The application's check, found once among the application's providers (see AppProviderIndex). */
  private currentCheck(): PrincipalCheck | null {
    if (this.check !== undefined) return this.check;
    const found = this.providers.find<unknown>(PRINCIPAL_CHECK);
    if (found !== undefined && !isCheck(found)) {
      // Registered but unusable: refusing everything is the only answer that cannot let a gone subject in.
      this.logger.error('The provider registered as PRINCIPAL_CHECK has no isActive method; every request is refused.');
      this.check = { isActive: async () => false };
      return this.check;
    }
    this.check = isCheck(found) ? found : null;
    return this.check;
  }
}

function isCheck(value: unknown): value is PrincipalCheck {
  return typeof value === 'object' && value !== null && typeof (value as PrincipalCheck).isActive === 'function';
}
