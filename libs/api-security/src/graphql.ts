// `@api-security/nestjs/graphql`: what a GraphQL app adds to the module. Resolvers need nothing from
// here (the security guard and the same decorators secure them); this entry point holds what needs
// `graphql` itself, an optional peer dependency the main entry point never loads.
export { graphqlQueryLimits, GraphqlLimitCode } from './graphql/query-limits';
export type { GraphqlQueryLimits } from './graphql/query-limits';
export { formatGraphqlError, graphqlErrorFormatter } from './graphql/format-error';
export type { GraphqlErrorFormatterContext, GraphqlErrorFormatterExecution } from './graphql/format-error';
export { GraphqlSecurityModule } from './graphql/graphql-security.module';
export type {
  GraphqlIntrospectionAllowRoles,
  GraphqlPersistedQueries,
  GraphqlSecurityOptions,
} from './graphql/graphql-security.module';
export { Cost } from './graphql/cost.decorator';

// Rate limit charged by query cost, and subscriptions authenticated at connection init.
export { GraphqlSubscriptions } from './graphql/graphql-subscriptions.service';
export type {
  GraphqlHttpContext,
  GraphqlWsSubscriptionConfig,
  GraphqlWsSubscriptionOptions,
  MercuriusSubscriptionConfig,
  MercuriusSubscriptionOptions,
} from './graphql/graphql-subscriptions.service';

// Field visibility and write rules (OWASP API3)
export { GraphqlFieldCode } from './graphql/field-visibility.rules';

// Schema exposure (OWASP API8/API9): introspection, suggestions, masked errors, persisted queries
export { GraphqlExposureCode, graphqlOperationHash } from './graphql/schema-exposure.rules';
