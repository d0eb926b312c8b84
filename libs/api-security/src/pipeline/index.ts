export { SecurityGuard } from './security.guard';
export { RoutePlanRegistry } from './route-plan.registry';
export {
  BootAudit,
  duplicateRouteRule,
  missingResolverRule,
  ownershipParamRule,
  publicAuthorizationRule,
  publicFlowWithoutIpLimitRule,
  undecidedOwnershipRule,
  unknownRoleRule,
} from './boot-audit';
export type { AuditRule } from './boot-audit';
export type {
  AuditContext,
  AuditFinding,
  DeprecationPlan,
  RateLimitPlan,
  RateLimitTierPlan,
  RoutePlan,
} from './route-plan';
