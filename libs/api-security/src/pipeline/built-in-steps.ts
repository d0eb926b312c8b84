import type { Type } from '@nestjs/common';
import { AuthenticationStep } from '../authentication/authentication.step';
import { OwnershipStep } from '../authorization/ownership.step';
import { RolesStep } from '../authorization/roles.step';
import { RateLimitStep } from '../consumption/rate-limit.step';
import { RequestLimitsStep } from '../consumption/request-limits.step';
import { FlowStep } from '../flows/flow.step';
import { DeprecationStep } from '../inventory/deprecation.step';
import { WritePolicyStep } from '../properties/write-policy.step';
import type { SecurityStep } from '../plan/security-step';

/**
 * The built-in steps in the guard's order (see `BUILT_IN_STEP_NAMES`): the rate limit first, so a
 * client already over its limit is refused before anything costly (it runs around authentication,
 * to count failed attempts too); then who is calling, the body's size and shape, what the caller
 * may do (roles and scopes, then ownership, then fields it may write), sensitive-flow velocity, and
 * last the deprecation headers or 410, which only an authorized caller learns about.
 */
export const BUILT_IN_STEPS: readonly Type<SecurityStep>[] = [
  RateLimitStep,
  AuthenticationStep,
  RequestLimitsStep,
  RolesStep,
  OwnershipStep,
  WritePolicyStep,
  FlowStep,
  DeprecationStep,
];
