import { Module } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { formatGraphqlError, graphqlQueryLimits, GraphqlSecurityModule } from '@api-security/nestjs/graphql';
import { OrdersModule } from '../orders/orders.module';
import { UsersModule } from '../users/users.module';
import { OrdersResolver } from './orders.resolver';
import { UsersResolver } from './users.resolver';

/** Outside Nest's global prefix (GraphQL is not a controller), so the driver is given the full path. */
export const GRAPHQL_PATH = '/api/graphql';

/** Batched operations per HTTP request: each one is authorized on its own, the batch is charged once. */
export const MAX_BATCHED_OPERATIONS = 5;

/**
 * `POST /api/graphql`: users and orders over GraphQL (Apollo on Express), under the same guard and
 * decorators as the REST routes. The schema is generated in memory from the classes (nothing is
 * written to disk); introspection is left to the driver's and the library's defaults.
 */
@Module({
  imports: [
    UsersModule,
    OrdersModule,
    GraphqlSecurityModule.forRoot({ path: GRAPHQL_PATH, maxBatchedOperations: MAX_BATCHED_OPERATIONS }),
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      path: GRAPHQL_PATH,
      autoSchemaFile: true,
      allowBatchedHttpRequests: true,
      // Depth, aliases, root fields, size and cost are refused at validation, before any resolver runs.
      validationRules: graphqlQueryLimits({ maxDepth: 8, maxAliases: 15, maxRootFields: 10, maxCost: 1000 }),
      // Keeps the library's error codes and drops stack traces from every error.
      formatError: formatGraphqlError,
      // Field resolvers (`User.orders`) run the guard (`@Owns` from the parent) and its error mapping too.
      fieldResolverEnhancers: ['guards', 'filters'],
      context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
    }),
  ],
  providers: [UsersResolver, OrdersResolver],
})
export class GraphqlApiModule {}
