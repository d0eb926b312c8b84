// `@api-security/nestjs/redis`: the Redis store class, for code that builds or tests a store itself.
// Apps configure `store: { type: 'redis', url }` instead and never import this; `ioredis` is then
// loaded only when that option is set.
export { CrossSlotKeysError, EvictingRedisPolicyError, RedisSecurityStore } from './store/redis.store';
export type {
  RedisClusterConnectionOptions,
  RedisNodeAddress,
  RedisSentinelConnectionOptions,
  RedisSecurityStoreClientOptions,
  RedisSecurityStoreLogger,
  RedisSecurityStoreOptions,
} from './store/redis.store';
