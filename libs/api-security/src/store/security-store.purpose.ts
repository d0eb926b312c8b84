import { Inject, type Provider } from '@nestjs/common';
import { ResilientSecurityStore } from './resilient.store';
import { SECURITY_STORE, type SecurityStore } from './security-store';
import { COUNTER_PURPOSES, RECORD_PURPOSES, type SecurityStorePurpose } from './store-outage.policy';

/** The injection token of the application's store as one kind of state sees it. */
export function securityStoreToken(purpose: SecurityStorePurpose): symbol {
  return Symbol.for(`api-security:SecurityStore:${purpose}`);
}

/**
 * Injects the application's {@link SecurityStore} for one kind of state. Every library service
 * that keeps state says what the state is for, so that during an outage of the shared store only
 * counters can be served from per-instance memory (when `store.onUnavailable` allows it), and
 * revocations, refresh tokens, challenges and lockouts are refused instead.
 */
export function InjectSecurityStore(purpose: SecurityStorePurpose): PropertyDecorator & ParameterDecorator {
  return Inject(securityStoreToken(purpose));
}

/**
 * The store for `purpose`: the outage-aware view when the store applies an outage policy, the
 * store itself otherwise (memory cannot be unavailable, and any other store's outage errors
 * propagate: closed).
 */
export function storeForPurpose(store: SecurityStore, purpose: SecurityStorePurpose): SecurityStore {
  return store instanceof ResilientSecurityStore ? store.forPurpose(purpose) : store;
}

/** One provider per purpose, each a view of {@link SECURITY_STORE}; registered by ApiSecurityModule. */
export const SECURITY_STORE_PURPOSE_PROVIDERS: Provider[] = [...COUNTER_PURPOSES, ...RECORD_PURPOSES].map(
  (purpose): Provider => ({
    provide: securityStoreToken(purpose),
    useFactory: (store: SecurityStore) => storeForPurpose(store, purpose),
    inject: [SECURITY_STORE],
  }),
);
