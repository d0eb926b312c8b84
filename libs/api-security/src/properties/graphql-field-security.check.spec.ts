import type { ModuleRef } from '@nestjs/core';
import { Field, InputType, ObjectType } from '@nestjs/graphql';
import { GRAPHQL_FIELD_SECURITY } from '../common/graphql-field-security.token';
import { ConfigErrorCode } from '../errors/config-codes';
import type { RoutePlanRegistry } from '../pipeline/route-plan.registry';
import type { RoutePlan } from '../plan/route-plan';
import { GraphqlFieldSecurityCheck } from './graphql-field-security.check';
import { VisibleTo } from './visible-to.decorator';

@ObjectType()
class Secretive {
  @VisibleTo('admin') @Field(() => String, { nullable: true }) secret?: string;
}

// A REST response model with rules, not a GraphQL type: nothing GraphQL must enforce.
class RestView {
  @VisibleTo('admin') secret?: string;
}

@InputType()
class FreeInput {
  @Field(() => String, { nullable: true }) note?: string;
}

const resolverPlan = {
  key: 'QUERY Query.x',
  graphql: { kind: 'query', type: 'Query', field: 'x', args: [] },
} as unknown as RoutePlan;
const routePlan = { key: 'GET /x' } as RoutePlan;

function check(plans: RoutePlan[], enforced: boolean): GraphqlFieldSecurityCheck {
  const registry = { plans: () => plans } as unknown as RoutePlanRegistry;
  const moduleRef = {
    get: (token: unknown) => {
      if (enforced && token === GRAPHQL_FIELD_SECURITY) return {};
      throw new Error('not found');
    },
  } as unknown as ModuleRef;
  return new GraphqlFieldSecurityCheck(registry, moduleRef);
}

describe('GraphqlFieldSecurityCheck', () => {
  it('refuses an app with resolvers and rules on GraphQL types but nothing enforcing them, naming the types', () => {
    let error: unknown;
    try {
      check([routePlan, resolverPlan], false).onApplicationBootstrap();
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: ConfigErrorCode.FIELD_SECURITY });
    const message = (error as Error).message;
    expect(message).toContain(`${Secretive.name} declare field rules on GraphQL types`);
    expect(message).toContain('GraphqlSecurityModule.forRoot()');
    // A REST response model or an input without @WritableBy is nothing GraphQL must enforce.
    expect(message).not.toContain(RestView.name);
    expect(message).not.toContain(FreeInput.name);
  });

  it('accepts the app once GraphqlSecurityModule is imported, or when it serves no resolver', () => {
    expect(() => check([resolverPlan], true).onApplicationBootstrap()).not.toThrow();
    expect(() => check([routePlan], false).onApplicationBootstrap()).not.toThrow();
  });
});
