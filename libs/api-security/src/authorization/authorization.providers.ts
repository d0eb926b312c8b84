import type { Provider } from '@nestjs/common';
import { OwnershipStep } from './ownership.step';
import { RolesStep } from './roles.step';

/**
 * The security guard's authorization steps (roles and scopes, then ownership), registered by
 * ApiSecurityModule. Their hooks are `protected` so that a subclass can change one rule.
 */
export const AUTHORIZATION_PROVIDERS: Provider[] = [RolesStep, OwnershipStep];
