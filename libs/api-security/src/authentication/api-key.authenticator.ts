import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus, sanitizeForLog } from '../audit/security-event.bus';
import { AppProviderIndex } from '../common/app-provider.index';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import { UnauthenticatedException } from '../errors/security.exception';
import { ApiKeyService } from './api-key.service';
import { API_KEY_RESOLVER, type ApiKeyResolver, type StoredApiKey } from './api-key.resolver';
import { ApiKeyTouchThrottle } from './api-key.touch-throttle';
import { AUTHENTICATORS, type Authenticator } from './authenticator';
import { callsCredentialGate, passCredentialGate } from '../common/credential-gate';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import { eventContext } from '../audit/event-context';

/** Why a presented key was refused, as reported in `authentication.failure` events. */
export type ApiKeyFailureReason =
  'malformed' | 'no_resolver' | 'unknown_key' | 'wrong_secret' | 'invalid_record' | 'revoked' | 'expired';

/** Longest wait at shutdown for last-used writes still in flight. */
const SHUTDOWN_DRAIN_MS = 5_000;

/**
 * Authenticates `X-API-Key: sk_live_…` (header name and key prefix are options). No header → not
 * this authenticator's business (null); a header that is present is either a valid key or a 401,
 * never "absent". Every lookup goes to the application's {@link ApiKeyResolver}: positive results
 * are not cached, so a revoked key (or a deactivated owner) stops working on the next request.
 *
 * Without a registered resolver every presented key is refused (fail closed) and a warning is
 * logged once at boot.
 */
@Injectable()
export class ApiKeyAuthenticator implements Authenticator, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly name = 'api-key';
  protected readonly logger = new Logger('ApiKeyAuthenticator');
  private readonly header: string;
  private readonly throttle: ApiKeyTouchThrottle;
  /** undefined until looked up (once); null when the application registered none. */
  private resolver: ApiKeyResolver | null | undefined;
  private readonly pendingTouches = new Set<Promise<void>>();
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly keys: ApiKeyService,
    private readonly events: SecurityEventBus,
    private readonly providers: AppProviderIndex,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.now = clock ?? systemClock;
    this.header = options.apiKeys.header;
    this.throttle = new ApiKeyTouchThrottle(options.apiKeys.touchIntervalSeconds * 1000);
    callsCredentialGate(this);
  }

  onApplicationBootstrap(): void {
    // The resolver lives in an application module that may be built after this one: look it up
    // once every module exists, never per request.
    const resolver = this.currentResolver();
    if (!resolver && this.isInUse()) {
      this.logger.warn(
        'No API key resolver is registered: every request with an API key will be refused. ' +
          'Provide one with { provide: API_KEY_RESOLVER, useClass: YourResolver }.',
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.pendingTouches.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_DRAIN_MS);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.pendingTouches]), timeout]);
    clearTimeout(timer);
  }

  async authenticate(request: SecurityRequest): Promise<SecurityPrincipal | null> {
    // Headers only: a key in the query string would end up in access logs, proxies and browser history.
    const value = request.headers[this.header];
    if (value === undefined) return null;
    // Every path from here costs a lookup, a hash comparison or a failure event: a client already
    // over its rate limit is refused before any of them.
    await passCredentialGate(request);
    // An array means the header was sent twice: ambiguous, so refused rather than picking one.
    const parsed = typeof value === 'string' ? this.keys.parse(value) : null;
    if (!parsed || typeof value !== 'string') throw this.refuse(request, 'malformed');
    const { prefix } = parsed;

    const resolver = this.currentResolver();
    if (!resolver) throw this.refuse(request, 'no_resolver', prefix);

    const stored = await resolver.findByPrefix(prefix);
    if (!stored) throw this.refuse(request, 'unknown_key', prefix);
    // The secret is checked before the key's state, so only a holder of the key learns (in the
    // audit trail) that it was revoked or expired.
    if (!this.keys.matches(value, stored.keyHash)) throw this.refuse(request, 'wrong_secret', prefix, stored);
    if (!isUsable(stored)) throw this.refuse(request, 'invalid_record', prefix);
    // Anything but an explicit `false` counts as revoked: a resolver bug must not open the door.
    if (stored.revoked !== false) throw this.refuse(request, 'revoked', prefix, stored);
    if (isExpired(stored.expiresAt, this.now())) throw this.refuse(request, 'expired', prefix, stored);

    this.touch(resolver, stored.id);
    return {
      id: stored.ownerId,
      roles: stringsOf(stored.roles),
      authMethod: 'api-key',
      scopes: stringsOf(stored.scopes),
      tokenId: stored.id,
    };
  }

  /** The application's resolver, found once among the application's providers (see AppProviderIndex). */
  private currentResolver(): ApiKeyResolver | null {
    if (this.resolver !== undefined) return this.resolver;
    const found = this.providers.find<unknown>(API_KEY_RESOLVER);
    if (found !== undefined && !isResolver(found)) {
      this.logger.error(
        'The provider registered as API_KEY_RESOLVER has no findByPrefix method; API keys are refused.',
      );
    }
    this.resolver = isResolver(found) ? found : null;
    return this.resolver;
  }

  /** Whether this instance is one of the guard's authenticators (it is a provider in every app). */
  private isInUse(): boolean {
    const list = this.providers.find<readonly Authenticator[]>(AUTHENTICATORS);
    return Array.isArray(list) && list.includes(this);
  }

  /** Fire and forget: recording the last use must never slow down or fail the request. */
  private touch(resolver: ApiKeyResolver, id: string): void {
    if (typeof resolver.touch !== 'function' || !this.throttle.due(id, performance.now())) return;
    const usedAt = new Date(this.now());
    const pending: Promise<void> = Promise.resolve()
      .then(() => resolver.touch?.(id, usedAt))
      .then(
        () => undefined,
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.logger.warn(sanitizeForLog(`Could not record the last use of API key ${id}: ${message}`));
        },
      )
      .finally(() => this.pendingTouches.delete(pending));
    this.pendingTouches.add(pending);
  }

  /** Reports the refusal (never the key itself) and returns the 401 to throw. */
  private refuse(
    request: SecurityRequest,
    reason: ApiKeyFailureReason,
    prefix?: string,
    stored?: StoredApiKey,
  ): UnauthenticatedException {
    this.events.emit({
      type: 'authentication.failure',
      reason,
      ...eventContext(request),
      details: {
        authMethod: 'api-key',
        ...(prefix ? { keyPrefix: prefix } : {}),
        ...(stored && typeof stored.id === 'string' ? { keyId: stored.id } : {}),
      },
    });
    return new UnauthenticatedException(`api key refused: ${reason}`);
  }
}

function isResolver(value: unknown): value is ApiKeyResolver {
  return typeof value === 'object' && value !== null && typeof (value as ApiKeyResolver).findByPrefix === 'function';
}

/** A record the principal can be built from; anything else is refused rather than half-trusted. */
function isUsable(stored: StoredApiKey): boolean {
  return (
    typeof stored.id === 'string' && stored.id !== '' && typeof stored.ownerId === 'string' && stored.ownerId !== ''
  );
}

/** An expiry that is not a valid date counts as expired. */
function isExpired(expiresAt: Date | null | undefined, now: number): boolean {
  if (expiresAt === undefined || expiresAt === null) return false;
  const at = expiresAt instanceof Date ? expiresAt.getTime() : Number.NaN;
  return !(at > now);
}

/** A copy, so later changes to the stored record (or a cache) never alter an established principal. */
function stringsOf(values: readonly string[] | undefined): readonly string[] {
  return Array.isArray(values) ? Object.freeze(values.filter((v): v is string => typeof v === 'string')) : [];
}
