export { ApiSecurityModule } from './api-security.module';
export {
  API_SECURITY_MODULE_OPTIONS,
  API_SECURITY_OPTIONS_TYPE,
  API_SECURITY_ASYNC_OPTIONS_TYPE,
} from './api-security.module-definition';
export type { ApiSecurityModuleExtras } from './api-security.module-definition';
export {
  API_SECURITY_OPTIONS,
  ApiSecurityConfigError,
  JWT_ALGORITHMS,
  resolveApiSecurityOptions,
} from './api-security.options';
export type {
  ApiSecurityModuleOptions,
  AuditOptions,
  CorsOptions,
  HardeningOptions,
  JwtAlgorithm,
  JwtOptions,
  JwtVerificationKey,
  ResolvedApiSecurityOptions,
} from './api-security.options';
export * from './audit';
export * from './authentication';
export * from './authorization';
export * from './consumption';
export * from './errors';
export * from './flows';
export * from './hardening';
export * from './inventory';
export * from './outbound';
export * from './pipeline';
export * from './properties';
export * from './store';
