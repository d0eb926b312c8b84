// `@api-security/nestjs/swagger`: what needs `@nestjs/swagger`, kept out of the main entry so an app
// without Swagger installs and boots without it.
import type { INestApplicationContext } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import {
  assertOpenApiCoverage as assertCoverage,
  checkOpenApiCoverage as checkCoverage,
  type OpenApiCoverage,
} from './inventory/openapi-coverage';
import { enrichOpenApiDocument as enrich, type OpenApiEnrichmentOptions } from './inventory/openapi.enricher';
import { RoutePlanRegistry } from './pipeline/route-plan.registry';

export { ApiPagination } from './inventory/api-pagination.decorator';
export { openApiPath } from './inventory/openapi.enricher';
export type { OpenApiCoverage, OpenApiEnrichmentOptions };

/**
 * Adds what the library knows about every route to an OpenAPI document built by
 * `SwaggerModule.createDocument`: security requirements, the 401/403/404/410/429 problem-details
 * responses, rate-limit and deprecation headers, and DTO bounds from class-validator. Call it after
 * `app.init()`, when the route plans are compiled. Mutates and returns `document`.
 *
 * @example
 * ```ts
 * const document = SwaggerModule.createDocument(app, config);
 * await app.init();
 * enrichOpenApiDocument(app, document);
 * ```
 * @public
 */
export function enrichOpenApiDocument(
  app: INestApplicationContext,
  document: OpenAPIObject,
  options: OpenApiEnrichmentOptions = {},
): OpenAPIObject {
  return enrich(document, app.get(RoutePlanRegistry).plans(), options);
}

/**
 * Compares the routes the application serves with an OpenAPI document, operation by operation
 * (`GET /api/v1/users/{id}`): a served route missing from the document is a shadow route (OWASP API9).
 * @public
 */
export function checkOpenApiCoverage(app: INestApplicationContext, document: OpenAPIObject): OpenApiCoverage {
  return checkCoverage(app.get(RoutePlanRegistry).plans(), document);
}

/**
 * Throws, listing every difference, unless the OpenAPI document describes exactly the served routes.
 * @public
 */
export function assertOpenApiCoverage(app: INestApplicationContext, document: OpenAPIObject): void {
  assertCoverage(app.get(RoutePlanRegistry).plans(), document);
}
