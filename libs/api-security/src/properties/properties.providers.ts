import type { Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CredentialTripwire } from './credential.tripwire';
import { FieldProjector } from './field-projector';
import { FieldVisibilityInterceptor } from './field-visibility.interceptor';
import { GraphqlFieldSecurityCheck } from './graphql-field-security.check';
import { PrincipalRoles } from '../authorization/principal-roles';
import { ProjectionCompiler } from './projection.compiler';
import { WritePolicyCompiler } from './write-policy.compiler';
import { WritePolicyStep } from './write-policy.step';

/**
 * Object-property-level authorization (OWASP API3), for `ApiSecurityModule`'s providers.
 *
 * No `APP_PIPE` here on purpose: the module's one `SecurityValidationPipe` stays the only
 * validation pipe (two global pipes would both validate and transform every parameter). Write
 * rules and prototype keys are checked by {@link WritePolicyStep}, which sees the principal
 * and the raw body and runs before pipes.
 */
export const PROPERTIES_PROVIDERS: Provider[] = [
  PrincipalRoles,
  ProjectionCompiler,
  CredentialTripwire,
  FieldProjector,
  WritePolicyCompiler,
  WritePolicyStep,
  GraphqlFieldSecurityCheck,
  { provide: APP_INTERCEPTOR, useClass: FieldVisibilityInterceptor },
];
