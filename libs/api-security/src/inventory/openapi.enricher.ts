import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
  SecurityRequirementObject,
  SecuritySchemeObject,
} from '@nestjs/swagger';
import type { RoutePlan } from '../plan/route-plan';
import type { ClassType } from '../properties/visibility.metadata';
import { schemaFromValidation, validatedClasses } from './validation-schema';

/** Names of the security schemes the enricher declares (besides one `oidc-<n>` per trusted issuer). */
export const OPENAPI_SECURITY_SCHEMES = { bearer: 'bearer', apiKey: 'apiKey', dpop: 'dpop' } as const;

/**
 * What the application accepts besides the enrichment options, read from the module's options by
 * `enrichOpenApiDocument(app, …)`: the external issuers (`jwt.trustedIssuers`) and the DPoP proof
 * algorithms (`dpop.algorithms`).
 */
export interface OpenApiAuthContext {
  readonly trustedIssuers?: readonly { readonly issuer: string; readonly audience: string }[];
  readonly dpopAlgorithms?: readonly string[];
  readonly dpopNonce?: boolean;
}

/** Scheme name of the `index`-th trusted issuer (components keys allow `[A-Za-z0-9._-]` only). */
export const trustedIssuerScheme = (index: number): string => `oidc-${index + 1}`;

/** OpenID Connect Discovery location of an issuer (`<issuer>/.well-known/openid-configuration`). */
function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}
/** Name of the one problem-details schema every error response references. */
export const PROBLEM_DETAILS_SCHEMA = 'ProblemDetails';

/** Options of {@link enrichOpenApiDocument}. */
export interface OpenApiEnrichmentOptions {
  /**
   * Schemes a protected route accepts, any one of them: `bearer` (JWT access token) and `apiKey`.
   * `enrichOpenApiDocument(app, …)` drops `apiKey` unless `ApiKeyAuthenticator` is enabled.
   * @default ['bearer', 'apiKey'] (`apiKey` only with `ApiKeyAuthenticator`)
   */
  schemes?: readonly ('bearer' | 'apiKey')[];
  /**
   * Header that carries API keys.
   * @default `apiKeys.header` of the module options ('X-API-Key')
   */
  apiKeyHeader?: string;
  /**
   * DTO classes whose schemas are filled in from their class-validator decorators. By default every
   * class with class-validator metadata whose name matches a component schema (a name two classes
   * share is skipped, as it cannot be told apart).
   */
  models?: readonly ClassType[];
}

type Operation = OperationObject;
type Responses = Record<string, ResponseObject | ReferenceObject>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const headerRef = (name: string): ReferenceObject => ({ $ref: `#/components/headers/${name}` });
const problemContent = {
  'application/problem+json': { schema: { $ref: `#/components/schemas/${PROBLEM_DETAILS_SCHEMA}` } },
};

/** `/api/v1/users/:id` → `/api/v1/users/{id}` (as `@nestjs/swagger` writes paths). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Every `METHOD /path` operation of a document, in OpenAPI path syntax. */
export function openApiOperations(document: OpenAPIObject): string[] {
  const keys: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) if (item?.[method]) keys.push(`${method.toUpperCase()} ${path}`);
  }
  return keys;
}

const HEADERS: Record<string, HeaderObject> = {
  'Access-Control-Allow-Origin': {
    description: 'Sent only when CORS is configured and the request Origin is on the allowlist (never `*`).',
    schema: { type: 'string', maxLength: 2048 },
  },
  'X-Request-Id': {
    description: 'The request id (the client one when it is safe, else generated); also in problem details.',
    schema: { type: 'string', maxLength: 128 },
  },
  'WWW-Authenticate': {
    description:
      'Bearer challenge (RFC 6750), with `error="invalid_token"` when a token was refused; on routes that ' +
      'require DPoP, or for a request made with the DPoP scheme, a DPoP challenge with `algs` (RFC 9449).',
    schema: { type: 'string', maxLength: 512 },
  },
  'DPoP-Nonce': {
    description: 'A fresh server nonce for the next DPoP proofs (RFC 9449 §8), when `dpop.nonce` is on.',
    schema: { type: 'string', maxLength: 128 },
  },
  'Retry-After': {
    description: 'Seconds until the client may try again.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 2147483647 },
  },
  'RateLimit-Policy': {
    description: 'The quota policies that count this route (IETF draft-ietf-httpapi-ratelimit-headers).',
    schema: { type: 'string', maxLength: 1024 },
  },
  RateLimit: {
    description: 'Remaining quota and seconds until it resets (IETF draft-ietf-httpapi-ratelimit-headers).',
    schema: { type: 'string', maxLength: 1024 },
  },
  Deprecation: {
    description: 'RFC 9745: `@<epoch-seconds>` of the deprecation (or `true` when no date was given).',
    schema: { type: 'string', maxLength: 32 },
  },
  Sunset: {
    description: 'RFC 8594: HTTP-date after which the route is retired.',
    schema: { type: 'string', maxLength: 64 },
  },
  Link: {
    description: 'The successor (`rel="successor-version"`) and deprecation notes (`rel="deprecation"`).',
    schema: { type: 'string', maxLength: 2048 },
  },
};

const PROBLEM_DETAILS: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details. Never carries a stack trace, SQL, file path or library name.',
  required: ['type', 'title', 'status', 'detail', 'instance', 'requestId', 'code'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', format: 'uri-reference', maxLength: 512 },
    title: { type: 'string', maxLength: 256 },
    status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599 },
    detail: { type: 'string', maxLength: 1024 },
    instance: { type: 'string', format: 'uri-reference', maxLength: 2048 },
    requestId: { type: 'string', maxLength: 128 },
    code: { type: 'string', pattern: '^ERR_[A-Z_]+$', maxLength: 64, description: 'Stable machine-readable code.' },
    errors: {
      type: 'array',
      description: 'Validation failures only.',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['field', 'message'],
        additionalProperties: false,
        properties: {
          field: { type: 'string', maxLength: 256 },
          message: { type: 'string', maxLength: 512 },
        },
      },
    },
  },
};

function problem(description: string, headers: string[] = []): ResponseObject {
  return {
    description,
    headers: Object.fromEntries(
      ['Access-Control-Allow-Origin', 'X-Request-Id', ...headers].map((h) => [h, headerRef(h)]),
    ),
    content: problemContent,
  };
}

/** Adds the response unless the application documented that status itself. */
function addResponse(responses: Responses, status: string, response: ResponseObject): void {
  if (!responses[status]) responses[status] = response;
}

function addHeaders(response: ResponseObject | ReferenceObject, names: readonly string[]): void {
  if ('$ref' in response) return;
  response.headers ??= {};
  for (const name of ['Access-Control-Allow-Origin', 'X-Request-Id', ...names])
    response.headers[name] ??= headerRef(name);
}

function hasQueryParameters(operation: Operation): boolean {
  return (operation.parameters ?? []).some((p) => !('$ref' in p) && (p as ParameterObject).in === 'query');
}

/** Fills component schemas that name a validated DTO class from its class-validator decorators. */
function enrichSchemas(document: OpenAPIObject, models: readonly ClassType[] | undefined, openApi31: boolean): void {
  const schemas = (document.components!.schemas ??= {});
  const candidates = models ?? validatedClasses();
  const byName = new Map<string, ClassType | null>();
  for (const type of candidates) byName.set(type.name, byName.has(type.name) ? null : type);
  const register = (type: ClassType): string => {
    if (!schemas[type.name]) {
      schemas[type.name] = { type: 'object' };
      schemas[type.name] = schemaFromValidation(type, register);
    }
    return type.name;
  };
  for (const name of Object.keys(schemas)) {
    const type = byName.get(name);
    const existing = schemas[name];
    if (!type || '$ref' in existing) continue;
    const generated = schemaFromValidation(type, register);
    const properties = { ...generated.properties };
    for (const [key, value] of Object.entries(existing.properties ?? {})) {
      properties[key] = { ...(properties[key] ?? {}), ...value } as SchemaObject;
    }
    schemas[name] = { ...generated, ...existing, properties, required: existing.required ?? generated.required };
  }
  if (openApi31) for (const schema of Object.values(schemas)) nullableTo31(schema);
}

/** OpenAPI 3.1 has no `nullable`: `type: [T, 'null']` says it. */
function nullableTo31(schema: unknown): void {
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  if (s.nullable === true) {
    delete s.nullable;
    if (typeof s.type === 'string') s.type = [s.type, 'null'];
  }
  for (const value of Object.values(s)) nullableTo31(value);
}

function security(
  plan: RoutePlan,
  schemes: readonly string[],
  issuerSchemes: readonly string[],
  openApi31: boolean,
): SecurityRequirementObject[] {
  if (plan.isPublic) return [];
  // OpenAPI 3.1 lets non-OAuth requirements list role names; 3.0 requires an empty array.
  const roles = openApi31 ? [...(plan.roles?.required ?? []), ...(plan.scopes ?? []).map((s) => `scope:${s}`)] : [];
  // A DPoP-only route takes no other credential (the library's or an issuer's token, bound, with a proof).
  if (plan.requiresDpop) return [{ [OPENAPI_SECURITY_SCHEMES.dpop]: roles }];
  // OpenID Connect requirements list the scopes the route needs, in both 3.0 and 3.1.
  const scopes = [...(plan.scopes ?? [])];
  return [...schemes.map((scheme) => ({ [scheme]: roles })), ...issuerSchemes.map((scheme) => ({ [scheme]: scopes }))];
}

/** One `openIdConnect` scheme per trusted issuer, and the `dpop` scheme when a route requires DPoP. */
function externalSchemes(plans: readonly RoutePlan[], auth: OpenApiAuthContext): Record<string, SecuritySchemeObject> {
  const declared: Record<string, SecuritySchemeObject> = {};
  (auth.trustedIssuers ?? []).forEach(({ issuer, audience }, index) => {
    declared[trustedIssuerScheme(index)] = {
      type: 'openIdConnect',
      openIdConnectUrl: discoveryUrl(issuer),
      description:
        `Access token of the external identity provider ${issuer} (RFC 9068 JWT, \`typ: at+jwt\`) for the ` +
        `audience \`${audience}\`, sent as \`Authorization: Bearer\`; verified with the keys of that issuer's ` +
        'JWKS only (RFC8725: its own algorithms, `none` refused, no `jku`/`x5u`/`jwk` header followed).',
    };
  });
  if (plans.some((plan) => plan.requiresDpop)) {
    const algs = (auth.dpopAlgorithms ?? []).join(', ');
    declared[OPENAPI_SECURITY_SCHEMES.dpop] = {
      type: 'http',
      scheme: 'DPoP',
      description:
        'RFC 9449 sender-constrained access token (of this API or of a trusted issuer), bound to a client ' +
        'key by `cnf.jkt`: `Authorization: DPoP <token>` plus a `DPoP` header holding a proof JWT ' +
        `(\`typ: dpop+jwt\`${algs ? `, signed with ${algs}` : ''}, with \`htm\`, \`htu\`, \`iat\`, \`jti\` and ` +
        '`ath`) by that key, used once.' +
        (auth.dpopNonce ? ' Proofs carry the server nonce sent in `DPoP-Nonce` (RFC 9449 §8).' : ''),
    };
  }
  return declared;
}

/**
 * Makes an OpenAPI document state what the library enforces, from the routes' compiled plans, so
 * that the security documentation cannot drift from the code (OWASP API9):
 *
 * - security schemes (`bearer` JWT citing RFC 8725, `apiKey` header) and each operation's
 *   requirement (`security: []` for `@Public()`, role names in OpenAPI 3.1 documents);
 * - one `ProblemDetails` schema (`application/problem+json`) referenced by every error response:
 *   401 with `WWW-Authenticate`, 403 for `@Roles`/`@Scopes`/`@Owns(…, { onDenied: 403 })`, 404 for
 *   ownership, 400/413/415 for request bodies, 400 for query parameters, 429 with `Retry-After` and
 *   the `RateLimit-Policy`/`RateLimit` headers for rate-limited routes, 410 after a `@Deprecated`
 *   sunset, 500 everywhere;
 * - `deprecated: true` and the `Deprecation`/`Sunset`/`Link` headers for `@Deprecated` routes;
 * - DTO schemas filled from class-validator (`maxLength`, `maxItems`, `minimum`/`maximum`, …).
 *
 * Mutates and returns `document`. Operations without a plan are left alone (the inventory check
 * reports them); responses the application documented itself are kept.
 */
export function enrichOpenApiDocument(
  document: OpenAPIObject,
  plans: readonly RoutePlan[],
  options: OpenApiEnrichmentOptions = {},
  auth: OpenApiAuthContext = {},
): OpenAPIObject {
  const openApi31 = document.openapi.startsWith('3.1');
  const schemes = (options.schemes ?? ['bearer', 'apiKey']).map((s) => OPENAPI_SECURITY_SCHEMES[s]);
  const issuerSchemes = (auth.trustedIssuers ?? []).map((_issuer, index) => trustedIssuerScheme(index));
  const components = (document.components ??= {});
  components.securitySchemes = {
    ...components.securitySchemes,
    ...externalSchemes(plans, auth),
    ...(schemes.includes('bearer')
      ? {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'Short-lived JWT access token, issued and verified following RFC8725 (JSON Web Token Best ' +
              'Current Practices): one pinned algorithm (`none` refused), required `iss`, `aud`, `exp` and ' +
              '`typ`, revocable by `jti`.',
          },
        }
      : {}),
    ...(schemes.includes('apiKey')
      ? {
          apiKey: {
            type: 'apiKey',
            in: 'header',
            name: options.apiKeyHeader ?? 'X-API-Key',
            description: 'API key in a header (never in the URL); stored only as a hash, revocable at once.',
          },
        }
      : {}),
  };
  components.schemas = { ...components.schemas, [PROBLEM_DETAILS_SCHEMA]: PROBLEM_DETAILS };
  components.headers = { ...components.headers, ...HEADERS };
  enrichSchemas(document, options.models, openApi31);

  for (const plan of plans) {
    const operation = document.paths?.[openApiPath(plan.path)]?.[plan.method.toLowerCase() as (typeof METHODS)[number]];
    if (!operation) continue;
    enrichOperation(operation, plan, schemes, issuerSchemes, openApi31, auth.dpopNonce === true);
  }
  return document;
}

function enrichOperation(
  operation: Operation,
  plan: RoutePlan,
  schemes: readonly string[],
  issuerSchemes: readonly string[],
  openApi31: boolean,
  nonce: boolean,
): void {
  operation.security = security(plan, schemes, issuerSchemes, openApi31);
  const responses = (operation.responses ??= {}) as Responses;
  if (plan.requiresDpop) {
    addResponse(
      responses,
      '401',
      problem(
        'No DPoP-bound token with a valid proof: missing, invalid, expired or revoked credentials, a bad or ' +
          'replayed proof, or a nonce to use (`use_dpop_nonce`).',
        nonce ? ['WWW-Authenticate', 'DPoP-Nonce'] : ['WWW-Authenticate'],
      ),
    );
  } else if (!plan.isPublic) {
    addResponse(responses, '401', problem('Missing, invalid, expired or revoked credentials.', ['WWW-Authenticate']));
  }
  const ownership = plan.ownership?.kind === 'resource' ? plan.ownership : undefined;
  if (plan.roles || plan.scopes?.length || ownership?.onDenied === 403) {
    addResponse(responses, '403', problem('The caller may not do this (role, scope or ownership).'));
  }
  if (ownership?.onDenied === 404) {
    addResponse(responses, '404', problem('No such resource, or it is not the caller’s (the two look the same).'));
  }
  if (operation.requestBody) {
    addResponse(responses, '400', problem('Malformed JSON, or the body failed validation (see `errors`).'));
    addResponse(responses, '413', problem('The body is larger than the configured limit.'));
    addResponse(responses, '415', problem('The body is not JSON.'));
  } else if (hasQueryParameters(operation)) {
    addResponse(responses, '400', problem('A query parameter failed validation (see `errors`).'));
  }
  if (plan.deprecation) {
    operation.deprecated = true;
    if (plan.deprecation.afterSunset === 'gone') {
      addResponse(responses, '410', problem('The route passed its sunset date and is retired.', ['Sunset', 'Link']));
    }
  }
  if (plan.rateLimit) {
    const tiers = plan.rateLimit.tiers.map((t) => `${t.name}: ${t.limit} per ${t.windowSeconds}s`).join('; ');
    addResponse(
      responses,
      '429',
      problem(`Too many requests (${tiers}). Retry after the given seconds.`, [
        'Retry-After',
        'RateLimit-Policy',
        'RateLimit',
      ]),
    );
  }
  addResponse(responses, '500', problem('Unexpected error; details are logged, never sent.'));
  for (const [status, response] of Object.entries(responses)) {
    const names: string[] = [];
    if (plan.rateLimit && /^[24]/.test(status)) names.push('RateLimit-Policy', 'RateLimit');
    if (plan.deprecation && /^2/.test(status)) names.push('Deprecation', 'Sunset', 'Link');
    addHeaders(response, names);
  }
}
