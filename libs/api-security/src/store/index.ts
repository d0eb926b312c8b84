export {
  SECURITY_STORE,
  type ConsumeRequest,
  type ConsumeResult,
  type CounterState,
  type SecurityStore,
} from './security-store';
export { StoreUnavailableError } from './store-unavailable.error';
export { MemorySecurityStore, type MemorySecurityStoreOptions } from './memory.store';
export {
  RedisSecurityStore,
  type RedisSecurityStoreClientOptions,
  type RedisSecurityStoreOptions,
} from './redis.store';
export {
  ResilientSecurityStore,
  type ResilientSecurityStoreOptions,
  type SecurityStoreLogger,
  type StoreOutagePolicy,
} from './resilient.store';
export {
  createSecurityStore,
  type MemoryStoreOptions,
  type RedisStoreOptions,
  type SecurityStoreOptions,
} from './security-store.factory';
