import type { OpenAPIObject } from '@nestjs/swagger';
import type { RoutePlan } from '../plan/route-plan';
import { openApiOperations, openApiPath } from './openapi.enricher';

/** How the served routes and the documented operations differ; both empty when they match. */
export interface OpenApiCoverage {
  /** Routes the application serves that the document does not describe (shadow routes). */
  readonly undocumented: readonly string[];
  /** Operations the document describes that no route serves. */
  readonly unserved: readonly string[];
}

/**
 * Compares the compiled route plans with an OpenAPI document, operation by operation
 * (`GET /api/v1/users/{id}`). A route hidden with `@ApiExcludeEndpoint()` shows up in `undocumented`.
 */
export function checkOpenApiCoverage(plans: readonly RoutePlan[], document: OpenAPIObject): OpenApiCoverage {
  const served = new Set(plans.map((p) => `${p.method} ${openApiPath(p.path)}`));
  const documented = new Set(openApiOperations(document));
  return {
    undocumented: [...served].filter((op) => !documented.has(op)).sort(),
    unserved: [...documented].filter((op) => !served.has(op)).sort(),
  };
}

/** Throws, listing every difference, unless the document describes exactly the served routes. */
export function assertOpenApiCoverage(plans: readonly RoutePlan[], document: OpenAPIObject): void {
  const { undocumented, unserved } = checkOpenApiCoverage(plans, document);
  if (undocumented.length === 0 && unserved.length === 0) return;
  const lines = [
    ...undocumented.map((op) => `  - served but not documented: ${op}`),
    ...unserved.map((op) => `  - documented but not served: ${op}`),
  ];
  throw new Error(`The OpenAPI document and the route inventory differ:\n${lines.join('\n')}`);
}
