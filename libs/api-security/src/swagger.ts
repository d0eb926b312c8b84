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
import type { RoutePlan } from './plan/route-plan';
import { RoutePlanRegistry } from './pipeline/route-plan.registry';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from './api-security.options';
import { ApiKeyAuthenticator } from './authentication/api-key.authenticator';
import { JwtAuthenticator } from './authentication/jwt.authenticator';
import { AUTHENTICATORS, type Authenticator } from './authentication/authenticator';

/** The HTTP routes: GraphQL resolvers have plans too, but no OpenAPI operation. */
function httpRoutes(app: INestApplicationContext): RoutePlan[] {
  return app
    .get(RoutePlanRegistry)
    .plans()
    .filter((plan) => plan.graphql === undefined);
}

export { ApiPagination } from './inventory/api-pagination.decorator';
export { openApiPath } from './inventory/openapi.enricher';
export type { OpenApiCoverage, OpenApiEnrichmentOptions };

/**
 * Adds what the library knows about every route to an OpenAPI document built by
 * `SwaggerModule.createDocument`: security requirements, the 401/403/404/410/429 problem-details
 * responses, rate-limit and deprecation headers, and DTO bounds from class-validator. Call it after
 * `app.init()`, when the route plans are compiled. Mutates and returns `document`.
 *
 * The `apiKey` scheme is declared only when `ApiKeyAuthenticator` is among the module's
 * authenticators (even if `options.schemes` lists it), with the header of `apiKeys.header`. Each
 * `jwt.trustedIssuers` entry becomes an `openIdConnect` scheme (`oidc-1`, `oidc-2`…, its discovery
 * URL and audience) offered by every protected route; routes that require DPoP (`@RequireDpop()`,
 * `dpop.required`) offer only the `dpop` scheme (`http`, scheme `DPoP`, RFC 9449).
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
  const apiKeys = app
    .get<readonly Authenticator[]>(AUTHENTICATORS, { strict: false })
    .some((authenticator) => authenticator instanceof ApiKeyAuthenticator);
  // A scheme the application does not accept must not be advertised: clients would try it and get 401s.
  const schemes = (options.schemes ?? ['bearer', 'apiKey']).filter((scheme) => scheme !== 'apiKey' || apiKeys);
  const resolved = app.get<ResolvedApiSecurityOptions>(API_SECURITY_OPTIONS, { strict: false });
  const header = resolved.apiKeys.header;
  const jwt = app
    .get<readonly Authenticator[]>(AUTHENTICATORS, { strict: false })
    .some((authenticator) => authenticator instanceof JwtAuthenticator);
  return enrich(
    document,
    httpRoutes(app),
    {
      ...options,
      schemes,
      // Header names are case-insensitive; the default is shown the way the documentation spells it.
      apiKeyHeader: options.apiKeyHeader ?? (header === 'x-api-key' ? 'X-API-Key' : header),
    },
    {
      // External issuers' tokens are read by JwtAuthenticator: without it, none is accepted.
      trustedIssuers: jwt ? (resolved.jwt.trustedIssuers ?? []) : [],
      dpopAlgorithms: resolved.dpop.algorithms,
      dpopNonce: resolved.dpop.nonce,
    },
  );
}

/**
 * Compares the routes the application serves with an OpenAPI document, operation by operation
 * (`GET /api/v1/users/{id}`): a served route missing from the document is a shadow route (OWASP API9).
 * @public
 */
export function checkOpenApiCoverage(app: INestApplicationContext, document: OpenAPIObject): OpenApiCoverage {
  return checkCoverage(httpRoutes(app), document);
}

/**
 * Throws, listing every difference, unless the OpenAPI document describes exactly the served routes.
 * @public
 */
export function assertOpenApiCoverage(app: INestApplicationContext, document: OpenAPIObject): void {
  assertCoverage(httpRoutes(app), document);
}
