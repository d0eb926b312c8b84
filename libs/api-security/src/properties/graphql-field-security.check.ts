import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GRAPHQL_FIELD_SECURITY } from '../common/graphql-field-security.token';
import { ConfigErrorCode } from '../errors/config-codes';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { isGraphqlClass } from '../pipeline/graphql-resolvers';
import { RoutePlanRegistry } from '../pipeline/route-plan.registry';
import { declaredModels } from './visibility.metadata';
import { writableModels } from './writable-by.decorator';

/**
 * Refuses to start an app that serves GraphQL resolvers and declares field rules on GraphQL types
 * (`@VisibleTo`/`@Hidden` on an `@ObjectType`/`@InterfaceType`, `@WritableBy` on an `@InputType`
 * or `@ArgsType`) without `GraphqlSecurityModule`, the only thing that enforces them under GraphQL:
 * without it every field would resolve for everyone and every input field be writable, silently.
 * Reads @nestjs/graphql's class metadata by its key, so the core never loads `graphql`.
 */
@Injectable()
export class GraphqlFieldSecurityCheck implements OnApplicationBootstrap {
  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly registry: RoutePlanRegistry,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.registry.plans().some((plan) => plan.graphql !== undefined)) return;
    const types = [
      ...declaredModels().filter((type) => isGraphqlClass(type, ['objectType', 'interface'])),
      ...writableModels().filter((type) => isGraphqlClass(type, ['inputType', 'args'])),
    ];
    if (types.length === 0 || this.enforced()) return;
    const names = [...new Set(types.map((type) => type.name || 'an anonymous class'))].sort().join(', ');
    throw new ApiSecurityConfigError(
      [
        `${names} declare field rules on GraphQL types, but nothing enforces them under GraphQL: import ` +
          `GraphqlSecurityModule.forRoot() from '@api-security/nestjs/graphql' next to GraphQLModule.`,
      ],
      ConfigErrorCode.FIELD_SECURITY,
    );
  }

  private enforced(): boolean {
    try {
      this.moduleRef.get(GRAPHQL_FIELD_SECURITY, { strict: false });
      return true;
    } catch {
      return false;
    }
  }
}
