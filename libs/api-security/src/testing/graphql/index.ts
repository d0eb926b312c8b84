// The GraphQL test kit: import from '@api-security/nestjs/testing/graphql' in e2e tests, never in
// production code. Its own entry point so that the REST kit never loads `graphql`; it needs
// `graphql` (to rewrite documents) and `supertest` (to send them), both optional peers, and no test
// runner: probers return reports, `assert…` throws an Error.

export { probeGraphqlBola } from './graphql-bola.prober';
export type {
  GraphqlBolaFinding,
  GraphqlBolaProbeOptions,
  GraphqlBolaQuery,
  GraphqlBolaReport,
  GraphqlBolaVariant,
} from './graphql-bola.prober';
export { checkGraphqlExposure } from './graphql-exposure.checker';
export type {
  GraphqlExposureFinding,
  GraphqlExposureKind,
  GraphqlExposureOptions,
  GraphqlExposureReport,
} from './graphql-exposure.checker';
export { graphqlBombs } from './graphql-bombs';
export type { GraphqlBomb, GraphqlBombKind, GraphqlBombOptions } from './graphql-bombs';
export { assertGraphqlBombsRefused, probeGraphqlBombs } from './graphql-bombs.prober';
export type { GraphqlBombProbeOptions, GraphqlBombReport, GraphqlBombResult } from './graphql-bombs.prober';
export type { GraphqlErrorLike, GraphqlOperation, GraphqlResult } from './graphql-client';
export type { HttpTarget, RequestHeaders } from '../http-target';
