// The public API of `@api-security/nestjs`: a deliberate list of named exports. Everything not
// listed here (compilers, plans, provider arrays, parse helpers, internal tokens) is
// private and may change in any release. The API report (etc/api-security.api.md) freezes this list.

// Module and options
export { ApiSecurityModule } from './api-security.module';
export type { ApiSecurityModuleExtras } from './api-security.module-definition';
export { API_SECURITY_OPTIONS, ApiSecurityConfigError } from './api-security.options';
export { ConfigErrorCode } from './errors/config-codes';
export { RouteAuditError } from './pipeline/route-audit.error';
export type { AuditFinding } from './plan/route-plan';
export type {
  ApiSecurityModuleOptions,
  AuditOptions,
  CorsOptions,
  HardeningOptions,
  JwtAlgorithm,
  JwtOptions,
  JwtVerificationKey,
  ResolvedApiSecurityOptions,
  ResolvedTrustedIssuer,
  TrustedIssuerOptions,
} from './api-security.options';
export type { ResolvedIntrospection, TrustedIssuerIntrospectionOptions } from './authentication/introspection.options';
export { SECURITY_CLOCK } from './common/clock';
export type { SecurityClock } from './common/clock';
export { MissingOptionalDependencyError } from './common/optional-dependency';

// The security guard's chain of steps: add your own, or replace a built-in one with a subclass.
// The built-in steps whose hooks are worth overriding are exported; the others can be replaced by name.
export type { BuiltInStepName, SecurityStep, SecurityStepContext } from './plan/security-step';
export type { GraphqlResolverCall } from './common/graphql-context';
export { SecurityStepError } from './pipeline/security-chain';
export type {
  SecurityStepEntry,
  SecurityStepErrorCode,
  SecurityStepRegistration,
  StepAnchor,
} from './pipeline/security-chain';
export { AuthenticationStep } from './authentication/authentication.step';
export { RateLimitStep } from './consumption/rate-limit.step';
export { RolesStep } from './authorization/roles.step';
export { OwnershipStep } from './authorization/ownership.step';
export type { OwnershipDenial } from './authorization/ownership.step';
export type {
  DeprecationPlan,
  GraphqlResolverPlan,
  RateLimitPlan,
  RateLimitTierPlan,
  RoutePlan,
} from './plan/route-plan';
export type { OwnedResourcePlan, OwnershipOptOutPlan, OwnershipPlan, RoleRequirement } from './plan/authorization-plan';
export type { FlowChallengePlan, FlowCounting, FlowLimit, FlowPlan } from './plan/flow-plan';
export type { BodyBinding, WritePolicy } from './properties/write-policy';

// Authentication (OWASP API2)
export { Public } from './authentication/public.decorator';
export { RequireDpop } from './authentication/require-dpop.decorator';
export { CurrentPrincipal } from './authentication/current-principal.decorator';
export type { Authenticator } from './authentication/authenticator';
export { PRINCIPAL_KEY } from './common/security-principal';
export type { SecurityPrincipal, SecurityRequest } from './common/security-principal';
export { JwtAuthenticator } from './authentication/jwt.authenticator';
export { JwtKeyService } from './authentication/jwt-key.service';
export type { PublicJwks } from './authentication/jwt-key.service';
export { TokenService } from './authentication/token.service';
export type { AccessTokenClaims, IssuedAccessToken } from './authentication/token.service';
export { RefreshTokenService } from './authentication/refresh-token.service';
export type { IssuedRefreshToken, RefreshContext, RotatedRefreshToken } from './authentication/refresh-token.service';
export { RevocationService } from './authentication/revocation.service';
export type { RevocablePrincipal, RevokeSessionOptions } from './authentication/revocation.service';
export { LoginAttemptsService } from './authentication/login-attempts.service';
export type { LoginSuccess } from './authentication/login-attempts.service';
export { PasswordService } from './authentication/password.service';
export { IsPassword } from './authentication/is-password.decorator';
export { IsIdentityEmail } from './authentication/is-identity-email.decorator';
export { normalizeIdentityEmail } from './authentication/identity-email';
export { IsDisplayName } from './authentication/is-display-name.decorator';
export type { DisplayNameOptions } from './authentication/is-display-name.decorator';
export type { Argon2Options, SessionOptions } from './authentication/session.options';
export { JwtRefusal } from './authentication/jwt-refusal';
export type { JwtFailureReason } from './authentication/jwt-refusal';
export type { DpopAlgorithm, DpopOptions } from './authentication/dpop.options';
export type { DpopFailureReason } from './authentication/dpop-refusal';
export { JwtVerifier } from './authentication/jwt.verifier';
export { JWT_STRATEGY_NAME } from './authentication/jwt-strategy-name';
export { ApiKeyAuthenticator } from './authentication/api-key.authenticator';
export type { ApiKeyFailureReason } from './authentication/api-key.authenticator';
export { ApiKeyService } from './authentication/api-key.service';
export type { GeneratedApiKey, ParsedApiKey } from './authentication/api-key.service';
export { API_KEY_RESOLVER } from './authentication/api-key.resolver';
export type { ApiKeyResolver, StoredApiKey } from './authentication/api-key.resolver';
export type { ApiKeyOptions } from './authentication/api-key.options';
export { TokenEndpointsModule } from './authentication/token-endpoints.module';
export type { TokenEndpointRateLimit, TokenEndpointsOptions } from './authentication/token-endpoints.options';
export type { TokenPair } from './authentication/token-endpoints.service';
export { TokenPairView } from './authentication/token-pair.view';
export { USER_STORE } from './authentication/user-store';
export type { StoredUser, UserStore } from './authentication/user-store';
export { PRINCIPAL_CHECK } from './authentication/principal-check';
export type { PrincipalCheck } from './authentication/principal-check';

// Authorization (OWASP API1, API5)
export { Roles } from './authorization/roles.decorator';
export { Scopes } from './authorization/scopes.decorator';
export { Owns } from './authorization/owns.decorator';
export type { OwnsOptions, OwnsOptOutOptions } from './authorization/owns.decorator';
export { provideOwnershipResolver } from './authorization/ownership-resolver';
export type {
  OwnershipResolver,
  OwnershipResolverFactory,
  OwnershipResolverSource,
  OwnershipResolverValue,
} from './authorization/ownership-resolver';
export { pagination } from './consumption/pagination';
export type { Pagination, PaginationOptions } from './consumption/pagination';
export { PaginationQuery } from './consumption/pagination.query';
export type { PaginationParams } from './consumption/pagination.query';
export type { RolesOptions } from './authorization/roles.options';
export { DEFAULT_CREDENTIAL_FIELDS } from './properties/credential-fields';
export type { CredentialFieldOptions } from './properties/credential-fields';

// Object properties (OWASP API3)
export { VisibleTo } from './properties/visible-to.decorator';
export { Hidden } from './properties/hidden.decorator';
export { OwnedBy } from './properties/owned-by.decorator';
export { ResponseModel } from './properties/response-model.decorator';
export { WritableBy } from './properties/writable-by.decorator';
export { MultilineText } from './properties/multiline-text.decorator';
export type { ClassType, DefaultVisibility, ResponseModelOptions } from './properties/visibility.metadata';
export { FieldProjector } from './properties/field-projector';

// Resource consumption (OWASP API4)
export { RateLimit } from './consumption/rate-limit.decorator';
export type { RateLimitDecoratorOptions } from './consumption/rate-limit.decorator';
export type { RateLimitHeaderStyle, RateLimitOptions, RateLimitTierOptions } from './consumption/rate-limit.options';
export { BodyLimit } from './consumption/body-limit.decorator';
export type { RequestLimitOptions } from './consumption/request-limits.options';

// Sensitive business flows (OWASP API6)
export { SensitiveFlow } from './flows/sensitive-flow.decorator';
export type { ProofOfWorkPolicy, SensitiveFlowPolicy } from './flows/sensitive-flow.policy';
export { provideFlowPolicy } from './flows/flow-policy.provider';
export type { FlowPolicySource } from './flows/flow-policy.provider';
export { ProofOfWorkService } from './flows/proof-of-work.service';
export type { ChallengeVerdict, IssuedChallenge } from './flows/proof-of-work.service';
export { FLOW_ESCALATION } from './flows/flow-escalation';
export type { FlowEscalation, FlowEscalationDecision } from './flows/flow-escalation';
export type { FlowRefusal, FlowRefusalReason } from './flows/flow-refusal';

// Outbound calls (OWASP API7, API10)
export { SafeHttpClient } from './outbound/safe-http.client';
export type {
  OutboundEventContext,
  SafeHttpMethod,
  SafeHttpRequest,
  SafeHttpResponse,
} from './outbound/safe-http.client';
export { fetchValidated } from './outbound/validated-fetch';
export type { FetchValidatedOptions, ThirdPartyInvalidReason } from './outbound/validated-fetch';
export { OutboundFailedError, OutboundRefusedError, ThirdPartyInvalidError } from './outbound/outbound.errors';
export type { OutboundRefusal } from './outbound/outbound.errors';
export type { OutboundOptions, OutboundScheme } from './outbound/outbound.options';

// Hardening and errors (OWASP API8)
export { ErrorCode } from './errors/codes';
export { SecurityException, UnauthenticatedException } from './errors/security.exception';
export type { FieldError, SecurityExceptionOptions } from './errors/security.exception';
export type { ProblemDetails } from './errors/problem-details';
export { ProblemDetailsFilter } from './hardening/problem-details.filter';
export type { ProblemMapping } from './hardening/problem-details.filter';
export { ExceptionFilterConflictError } from './hardening/exception-filter-conflict.error';
export { checkDeployment } from './hardening/misconfiguration.check';
export type { DeploymentCheckOptions, DeploymentFacts } from './hardening/misconfiguration.check';

// Inventory (OWASP API9)
export { Deprecated } from './inventory/deprecated.decorator';
export type { DeprecatedOptions } from './inventory/deprecated.decorator';
export { RouteInventoryService } from './inventory/route-inventory.service';
export type {
  RouteInventoryDeprecation,
  RouteInventoryEntry,
  RouteInventoryGraphql,
  RouteInventoryOwnership,
  RouteInventoryRateLimitTier,
} from './inventory/route-inventory.service';

// Audit and logging
export { SecurityEventBus } from './audit/security-event.bus';
export { SECURITY_EVENT_SINKS, SECURITY_EVENT_TYPES } from './audit/security-event';
export type { SecurityEvent, SecurityEventSink, SecurityEventType } from './audit/security-event';
export { eventContext } from './audit/event-context';
export { RedactingLogger } from './audit/redacting.logger';
export type { RedactingLoggerOptions } from './audit/redacting.logger';
export type { ThresholdAlertRule } from './audit/threshold-alert.options';
export { BatchingEventWriter } from './audit/batching-event.writer';
export { AuditPseudonymizer } from './audit/audit-pseudonymizer.service';
export type { AccountHashKeySource, IpTruncation } from './audit/audit-privacy.options';
export type { BatchingEventWriterOptions } from './audit/batching-event.writer';

// State shared across instances
export { SECURITY_STORE } from './store/security-store';
export type {
  ConsumeIfClearRequest,
  ConsumeIfClearResult,
  ConsumeRequest,
  ConsumeResult,
  CounterState,
  ReleaseRequest,
  ReservedCounter,
  ReserveRequest,
  ReserveResult,
  SecurityStore,
} from './store/security-store';
export { MemorySecurityStore } from './store/memory.store';
export type { CountersFullPolicy, MemorySecurityStoreOptions } from './store/memory.store';
export { StoreUnavailableError } from './store/store-unavailable.error';
export type { StoreOutagePolicies, StoreOutagePolicy } from './store/store-outage.policy';
/**
 * A bounded store refused a new key rather than evict one: the request fails closed (429 or 503 for
 * a counter, 503 for a security record). Thrown by `MemorySecurityStore`; third-party stores with a
 * bound throw it too, which the conformance suite's `bounded` option checks.
 */
export { StoreFullError } from './store/store-full.error';
export type { CounterOwner, KeyCapacityClass } from './store/key-purpose';
export type { MemoryStoreOptions, RedisStoreOptions, SecurityStoreOptions } from './store/security-store.factory';
export type {
  RedisClusterConnectionOptions,
  RedisNodeAddress,
  RedisSentinelConnectionOptions,
} from './store/redis-connection.options';
