import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef, ModulesContainer } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { GRAPHQL_MODULE_OPTIONS } from '@nestjs/graphql';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { PrincipalRoles } from '../authorization/principal-roles';
import type { SecurityRequest } from '../common/security-principal';
import { SecurityException } from '../errors/security.exception';
import { assignRequestId } from '../hardening/request-id';
import type { RoutePlan } from '../plan/route-plan';
import { ROUTE_PLANS, type RoutePlans } from '../plan/route-plans';
import type { SecurityStepContext } from '../plan/security-step';
import { findCredentialSteps, runCredentialSteps, type CredentialSteps } from './credential-steps';
import { placeBeforeDriverRoute, type ExpressRouterApp } from './express-route-placement';
import { formatGraphqlError } from './format-error';
import { graphqlRequestIds } from './request-id.context';
import { annotateSchema } from './schema-annotations.rules';
import { servedSchemas } from './served-schemas';
import {
  GraphqlExposureCode,
  graphqlOperationHash,
  isIntrospectionText,
  maskGraphqlResponse,
} from './schema-exposure.rules';

/** The schema-exposure options as `GraphqlSecurityModule.forRoot` checked them (defaults not applied yet). */
export interface ExposureOptions {
  readonly path: string;
  readonly introspection?: boolean | { readonly allowRoles: readonly string[] };
  readonly persistedQueries?: { readonly allowlist: ReadonlyMap<string, string>; readonly enforce?: boolean };
  readonly annotateSchema?: boolean;
}

export const GRAPHQL_EXPOSURE_OPTIONS = Symbol('GRAPHQL_EXPOSURE_OPTIONS');

/** Who may introspect: everyone, nobody, or principals with one of the roles. */
type IntrospectionPolicy = 'allow' | 'deny' | { readonly roles: readonly string[] };

/** One operation of a request, as sent: its document and/or its persisted-query hash. */
interface Operation {
  query?: unknown;
  extensions?: unknown;
}

/** The request as both platforms give it (Express's `req`, Fastify's `request`). */
interface PlatformRequest {
  readonly method?: string;
  readonly url?: string;
  readonly ip?: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body?: unknown;
  readonly raw?: IncomingMessage;
  readonly routeOptions?: { readonly url?: string };
  query?: unknown;
}

/** What the check decided: refuse with a code, or go on (the request's operations possibly completed). */
type Decision = { readonly refuse: GraphqlExposureCode } | undefined;

type Next = (error?: unknown) => void;
interface ExpressRes extends ServerResponse {
  send(body: unknown): unknown;
}
type ExpressApp = ExpressRouterApp<(req: PlatformRequest & IncomingMessage, res: ExpressRes, next: Next) => void>;
interface FastifyReply {
  readonly raw: ServerResponse;
  readonly statusCode: number;
  getHeader(name: string): unknown;
  code(status: number): { header(name: string, value: string): { send(body: unknown): unknown } };
}
interface FastifyApp {
  addHook(name: 'preHandler', hook: (request: PlatformRequest, reply: FastifyReply) => Promise<unknown>): unknown;
  addHook(
    name: 'onSend',
    hook: (request: PlatformRequest, reply: FastifyReply, payload: unknown) => Promise<unknown>,
  ): unknown;
}

/** The handler the introspection check's execution context names (DPoP and reflection read it). */
function introspection(): void {}

/** Introspection hashes remembered (see {@link GraphqlSchemaExposure.introspectionHashes}); bounded. */
const MAX_INTROSPECTION_HASHES = 1024;

/**
 * Schema exposure (OWASP API8/API9) on the GraphQL endpoint, for Apollo (Express) and Mercurius
 * (Fastify) alike, at the HTTP layer so that nothing depends on the driver's own options:
 *
 * - before the driver parses anything: the persisted-query allowlist (a hash is completed with its
 *   document, a document not in the list is refused) and introspection (`__schema`, `__type`),
 *   refused unless allowed to the caller;
 * - at bootstrap: each resolver's security decision appended to its field's schema description;
 * - on the way out: every error of the response masked ({@link maskGraphqlResponse}: no stack, no
 *   internal message, suggestions removed, `extensions.code` and `extensions.requestId`), the
 *   internal messages logged with the request id.
 */
@Injectable()
export class GraphqlSchemaExposure implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('ApiSecurity');
  private readonly policy: IntrospectionPolicy;
  private readonly allowlist: ReadonlyMap<string, string> | undefined;
  private readonly enforce: boolean;
  /**
   * Hashes of introspection documents a caller was allowed to send with a persisted-query hash: the
   * driver's automatic persisted queries cache them, and a later request sending the hash alone must
   * be checked as the introspection it is.
   */
  private readonly introspectionHashes = new Set<string>();
  private readonly plan: RoutePlan;
  private steps: CredentialSteps | undefined;

  private readonly expressGuard = (req: PlatformRequest & IncomingMessage, res: ExpressRes, next: Next): void => {
    const send = res.send.bind(res);
    res.send = (body: unknown) =>
      send(
        typeof body === 'string' ? this.masked(req, res, res.statusCode, res.getHeader('content-type'), body) : body,
      );
    this.decide(req, (request) => this.replaceExpressQuery(request)).then((decision) => {
      if (decision === undefined) return graphqlRequestIds.run(assignRequestId(req), next);
      res.statusCode = 400;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.send(JSON.stringify(this.refusal(decision.refuse, assignRequestId(req))));
    }, next);
  };

  /** @internal Created by `GraphqlSecurityModule`; inject it, do not construct it. */
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    @Inject(GRAPHQL_EXPOSURE_OPTIONS) private readonly options: ExposureOptions,
    @Inject(API_SECURITY_OPTIONS) api: ResolvedApiSecurityOptions,
  ) {
    const { introspection: allowed = !api.production, persistedQueries } = options;
    this.policy = typeof allowed === 'boolean' ? (allowed ? 'allow' : 'deny') : { roles: allowed.allowRoles };
    this.allowlist = persistedQueries?.allowlist;
    this.enforce = persistedQueries !== undefined && (persistedQueries.enforce ?? api.production);
    const { rateLimit } = api;
    const tiers = [...rateLimit.tiers, ...(rateLimit.global ? [rateLimit.global] : [])];
    this.plan = Object.freeze({
      key: 'GRAPHQL introspection',
      method: 'POST',
      path: options.path,
      versions: [],
      controller: GraphqlSchemaExposure.name,
      handler: 'introspection',
      isPublic: false,
      ...(rateLimit.enabled && tiers.length > 0 ? { rateLimit: Object.freeze({ tiers, cost: 1 }) } : {}),
    });
  }

  onModuleInit(): void {
    this.installApolloDefaults();
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const app = adapter.getInstance<FastifyApp>();
    app.addHook('preHandler', async (request, reply) => {
      if (request.routeOptions?.url !== this.options.path) return;
      const decision = await this.decide(request, (r) => r);
      if (decision === undefined) return;
      const requestId = assignRequestId(request.raw as IncomingMessage);
      reply
        .code(400)
        .header('content-type', 'application/json; charset=utf-8')
        .send(this.refusal(decision.refuse, requestId));
      return reply;
    });
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.routeOptions?.url !== this.options.path || typeof payload !== 'string') return payload;
      return this.masked(
        request.raw as IncomingMessage,
        reply.raw,
        reply.statusCode,
        reply.getHeader('content-type'),
        payload,
      );
    });
  }

  onApplicationBootstrap(): void {
    // The schemas exist once the GraphQL modules have started; introspection reads descriptions per request.
    if (this.options.annotateSchema !== false) {
      const plans = this.moduleRef.get<RoutePlans>(ROUTE_PLANS, { strict: false }).plans();
      for (const schema of servedSchemas(this.modules, this.adapterHost)) annotateSchema(schema, plans);
    }
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    placeBeforeDriverRoute(adapter.getInstance<ExpressApp>(), this.options.path, this.expressGuard);
  }

  /**
   * Whether an operation sent over a WebSocket (graphql-ws) may introspect: only where everyone may,
   * as a WebSocket operation is not checked against roles here. @internal
   */
  introspectionOverWebSocket(): boolean {
    return this.policy === 'allow';
  }

  /**
   * Apollo's own settings, before the driver starts (this global module's hooks run before
   * GraphQLModule's), where the app left them unset:
   * - `formatError`: Apollo replaces the library's codes of validation errors (a query limit becomes
   *   `GRAPHQL_VALIDATION_FAILED`) unless `formatError` keeps them, and masks nothing by itself;
   * - `introspection`: `false` when nobody may introspect (Apollo then refuses it too, over HTTP and
   *   over graphql-ws), else `true`: Apollo's own default is off when `NODE_ENV` is production, which
   *   would refuse the principals `allowRoles` admits; the HTTP check decides instead.
   */
  private installApolloDefaults(): void {
    let options: { driver?: { name?: string }; formatError?: unknown; introspection?: unknown } | undefined;
    try {
      options = this.moduleRef.get(GRAPHQL_MODULE_OPTIONS, { strict: false });
    } catch {
      return;
    }
    if (options === undefined || typeof options.driver?.name !== 'string' || !options.driver.name.includes('Apollo')) {
      return;
    }
    options.formatError ??= formatGraphqlError;
    options.introspection ??= this.policy !== 'deny';
  }

  /** The response text with every error masked; internal messages are logged with the request id. */
  private masked(req: IncomingMessage, res: ServerResponse, status: number, type: unknown, text: string): string {
    // A problem-details body (a refusal before the driver, e.g. a malformed JSON body) has an `errors`
    // member of its own: it is not a GraphQL response.
    if (typeof type === 'string' && type.includes('problem+json')) return text;
    const header = res.getHeader('x-request-id');
    const requestId = typeof header === 'string' ? header : assignRequestId(req);
    const masked = maskGraphqlResponse(text, status, requestId, (internal) => {
      this.logger.error(`GraphQL error masked (request ${requestId}): ${internal}`);
    });
    return masked ?? text;
  }

  private refusal(code: GraphqlExposureCode, requestId: string): { errors: object[] } {
    const message =
      code === GraphqlExposureCode.INTROSPECTION
        ? 'Introspection is not allowed.'
        : 'Only persisted queries are allowed; this one is unknown.';
    return { errors: [{ message, extensions: { code, status: 400, requestId } }] };
  }

  /**
   * The persisted-query and introspection decision for the request's operations (a batch: each of
   * them; one refused refuses the request). `commit` applies completed documents to the request.
   */
  private async decide(request: PlatformRequest, commit: (request: PlatformRequest) => void): Promise<Decision> {
    const operations = this.operationsOf(request);
    if (operations === undefined) return undefined;
    let completed = false;
    let introspects = false;
    const introspectionHashes: string[] = [];
    for (const operation of operations) {
      const hash = persistedHash(operation.extensions);
      let document = typeof operation.query === 'string' ? operation.query : undefined;
      if (this.allowlist !== undefined) {
        if (document === undefined && hash !== undefined) {
          document = this.allowlist.get(hash);
          if (document === undefined && this.enforce) return { refuse: GraphqlExposureCode.PERSISTED_QUERY };
          if (document !== undefined) {
            operation.query = document;
            completed = true;
          }
        } else if (
          document !== undefined &&
          this.enforce &&
          this.allowlist.get(graphqlOperationHash(document)) !== document
        ) {
          return { refuse: GraphqlExposureCode.PERSISTED_QUERY };
        }
      }
      if (this.policy === 'allow') continue;
      if (
        document !== undefined
          ? isIntrospectionText(document)
          : hash !== undefined && this.introspectionHashes.has(hash)
      ) {
        introspects = true;
        if (hash !== undefined) introspectionHashes.push(hash);
      }
    }
    if (introspects && (this.policy === 'deny' || !(await this.mayIntrospect(request)))) {
      return { refuse: GraphqlExposureCode.INTROSPECTION };
    }
    for (const hash of introspectionHashes) {
      if (this.introspectionHashes.size >= MAX_INTROSPECTION_HASHES) break;
      this.introspectionHashes.add(hash);
    }
    if (completed) commit(request);
    return undefined;
  }

  /** The request's operations (the body's, or a GET's query string); undefined when it has none. */
  private operationsOf(request: PlatformRequest): Operation[] | undefined {
    const { body } = request;
    // `Content-Type: application/graphql` (Mercurius): the body is the document itself.
    if (typeof body === 'string') return [{ query: body }];
    if (Buffer.isBuffer(body)) return [{ query: body.toString('utf8') }];
    if (Array.isArray(body)) return body.filter((op): op is Operation => typeof op === 'object' && op !== null);
    if (typeof body === 'object' && body !== null && ('query' in body || 'extensions' in body))
      return [body as Operation];
    if (request.method !== 'GET') return undefined;
    const params = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const query = params.get('query') ?? undefined;
    let extensions: unknown;
    try {
      extensions = JSON.parse(params.get('extensions') ?? 'null');
    } catch {
      extensions = undefined;
    }
    if (query === undefined && extensions == null) return undefined;
    const operation: Operation = { query, extensions };
    // A completed GET: Fastify's handler reads `request.query`, Apollo on Express the URL.
    Object.defineProperty(operation, 'query', {
      get: () => query,
      set: (document: string) => {
        if (typeof request.query === 'object' && request.query !== null) {
          (request.query as Record<string, unknown>).query = document;
        }
        params.set('query', document);
        (request as { completedUrl?: string }).completedUrl =
          `${(request.url ?? '/').split('?')[0]}?${params.toString()}`;
      },
      enumerable: true,
    });
    return [operation];
  }

  private replaceExpressQuery(request: PlatformRequest): void {
    const completed = (request as { completedUrl?: string }).completedUrl;
    if (completed !== undefined) (request as { url?: string }).url = completed;
  }

  /**
   * Whether the caller may introspect: the library's own `authentication` step (with the rate limit
   * around it, as for any credential check) on a copy of the request, then the roles through the
   * hierarchy. A missing, forged, expired or revoked credential may not.
   */
  private async mayIntrospect(source: PlatformRequest): Promise<boolean> {
    const policy = this.policy;
    if (typeof policy === 'string') return policy === 'allow';
    const request: SecurityRequest = {
      headers: { ...source.headers },
      method: source.method ?? 'POST',
      url: source.url ?? this.options.path,
      ...(source.ip === undefined ? {} : { ip: source.ip }),
    };
    const execution = new ExecutionContextHost([request, undefined, undefined], GraphqlSchemaExposure, introspection);
    execution.setType('http');
    const context: SecurityStepContext = { request, plan: this.plan, execution };
    this.steps ??= findCredentialSteps(this.moduleRef, this.plan, 'GraphqlSchemaExposure');
    try {
      await runCredentialSteps(this.steps, context);
    } catch (error) {
      if (!(error instanceof SecurityException))
        this.logger.error(`Introspection refused: ${(error as Error).message}`);
      return false;
    }
    const roles = this.moduleRef.get(PrincipalRoles, { strict: false }).of(request.principal);
    return policy.roles.some((role) => roles.has(role));
  }
}

/** `extensions.persistedQuery.sha256Hash`, Apollo's automatic persisted queries shape. */
function persistedHash(extensions: unknown): string | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (typeof persisted !== 'object' || persisted === null) return undefined;
  const hash = (persisted as { sha256Hash?: unknown }).sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
}
