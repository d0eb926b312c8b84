import {
  Args,
  Field,
  ID,
  InputType,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import {
  ARGS_TYPE_METADATA,
  CLASS_TYPE_METADATA,
  RESOLVER_NAME_METADATA,
  RESOLVER_PROPERTY_METADATA,
  RESOLVER_TYPE_METADATA,
} from '@nestjs/graphql/dist/graphql.constants.js';
import { GRAPHQL_METADATA, isGraphqlClass, isResolverClass, resolverOf } from './graphql-resolvers';

@ObjectType()
class Order {
  @Field(() => ID) id!: string;
}

@Resolver(() => Order)
class OrderResolver {
  @Query(() => Order, { name: 'order' })
  find(@Args('id', { type: () => ID }) _id: string, @Args('tenantId') _tenant: string): Order {
    return { id: '1' };
  }

  @Mutation(() => Boolean)
  purge(): boolean {
    return true;
  }

  @ResolveField(() => String)
  label(@Parent() order: Order): string {
    return order.id;
  }

  helper(): void {}
}

@InputType()
class OrderInput {
  @Field(() => String) note!: string;
}

class ExtendedOrder extends Order {}

class NotAResolver {
  find(): void {}
}

describe('GraphQL resolver discovery', () => {
  it('reads the metadata keys @nestjs/graphql writes (the core copies them so as not to import it)', () => {
    expect(GRAPHQL_METADATA).toEqual({
      resolverType: RESOLVER_TYPE_METADATA,
      resolverName: RESOLVER_NAME_METADATA,
      resolveProperty: RESOLVER_PROPERTY_METADATA,
      argsType: ARGS_TYPE_METADATA,
      classType: CLASS_TYPE_METADATA,
    });
  });

  it('recognizes resolver classes only', () => {
    expect(isResolverClass(OrderResolver)).toBe(true);
    expect(isResolverClass(NotAResolver)).toBe(false);
  });

  it('describes queries, mutations and field resolvers with their named arguments', () => {
    const proto = OrderResolver.prototype;
    expect(resolverOf(OrderResolver, proto.find, 'find')).toEqual({
      kind: 'query',
      type: 'Query',
      field: 'order',
      args: ['id', 'tenantId'],
    });
    expect(resolverOf(OrderResolver, proto.purge, 'purge')).toEqual({
      kind: 'mutation',
      type: 'Mutation',
      field: 'purge',
      args: [],
    });
    expect(resolverOf(OrderResolver, proto.label, 'label')).toEqual({
      kind: 'field',
      type: 'Order',
      field: 'label',
      args: [],
    });
    expect(resolverOf(OrderResolver, proto.helper, 'helper')).toBeUndefined();
  });

  it('tells GraphQL classes by kind, through the classes they extend', () => {
    expect(isGraphqlClass(Order, ['objectType'])).toBe(true);
    expect(isGraphqlClass(ExtendedOrder, ['objectType', 'interface'])).toBe(true);
    expect(isGraphqlClass(OrderInput, ['objectType', 'interface'])).toBe(false);
    expect(isGraphqlClass(OrderInput, ['inputType'])).toBe(true);
    expect(isGraphqlClass(NotAResolver, ['objectType', 'inputType'])).toBe(false);
  });
});
