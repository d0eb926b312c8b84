export { RouteInventoryService } from './route-inventory.service';
export type {
  RouteInventoryDeprecation,
  RouteInventoryEntry,
  RouteInventoryOwnership,
  RouteInventoryRateLimitTier,
} from './route-inventory.service';
export { Deprecated, compileDeprecation } from './deprecated.decorator';
export type { DeprecatedOptions } from './deprecated.decorator';
export { DEPRECATION_CLOCK, DeprecationStep } from './deprecation.step';
export type { DeprecationClock } from './deprecation.step';
export {
  OPENAPI_SECURITY_SCHEMES,
  PROBLEM_DETAILS_SCHEMA,
  enrichOpenApiDocument,
  openApiOperations,
  openApiPath,
} from './openapi.enricher';
export type { OpenApiEnrichmentOptions } from './openapi.enricher';
export { assertOpenApiCoverage, checkOpenApiCoverage } from './openapi-coverage';
export type { OpenApiCoverage } from './openapi-coverage';
export { ApiPagination } from './api-pagination.decorator';
