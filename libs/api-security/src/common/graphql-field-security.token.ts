/**
 * Provided by `GraphqlSecurityModule` (from `@api-security/nestjs/graphql`), which enforces
 * `@VisibleTo`/`@Hidden`/`@OwnedBy` on GraphQL object types and `@WritableBy` on input types. The
 * core only asks whether it exists, so that an app with rules on GraphQL types but without the
 * module refuses to start instead of serving every field to everyone; it never loads `graphql`.
 */
export const GRAPHQL_FIELD_SECURITY = Symbol.for('api-security:graphql-field-security');
