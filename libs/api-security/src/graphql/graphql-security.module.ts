import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { GRAPHQL_FIELD_SECURITY } from '../common/graphql-field-security.token';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { batchRefusal, overBatchLimit } from './batch-limit';
import { placeBeforeDriverRoute, type ExpressRouterApp } from './express-route-placement';
import { GRAPHQL_CHARGE_WEIGHER } from '../common/graphql-charge';
import { GRAPHQL_COST_PER_UNIT, GraphqlCostWeigher } from './graphql-cost.weigher';
import { GraphqlSubscriptions } from './graphql-subscriptions.service';
import { GraphqlFieldSecurity } from './field-security.installer';
import { GraphqlInputWriteInterceptor } from './input-write.interceptor';
import { closestMatch } from '../common/closest-match';
import { ConfigErrorCode } from '../errors/config-codes';
import { GRAPHQL_EXPOSURE_OPTIONS, GraphqlSchemaExposure, type ExposureOptions } from './schema-exposure.installer';
import { graphqlOperationHash } from './schema-exposure.rules';

/** Options of {@link GraphqlSecurityModule}. */
export interface GraphqlSecurityOptions {
  /** The GraphQL endpoint's path, as given to the driver. @default '/graphql' */
  readonly path?: string;
  /**
   * Operations one batched HTTP request (a JSON array) may hold; a longer batch is answered 400
   * with `ERR_GRAPHQL_BATCH` before any operation is parsed or run. @default 10
   */
  readonly maxBatchedOperations?: number;
  /**
   * The rate limit charges a GraphQL HTTP request by its query cost (as `graphqlQueryLimits` prices
   * it: `@Cost`, list multipliers): each operation `ceil(cost / costPerUnit)` units of the tiers, at
   * least one, a batch the sum of its operations. The default makes the costliest query the default
   * limits admit (`maxCost` 1000) cost 100 units, the default tier's whole minute. @default 10
   */
  readonly costPerUnit?: number;
  /**
   * Who may introspect the schema (`__schema`, `__type`; `__typename` is always allowed): `true`
   * everyone, `false` nobody, `{ allowRoles }` principals holding one of the roles (through the role
   * hierarchy), authenticated by the library's authenticators. A refused request is answered 400
   * with `ERR_GRAPHQL_INTROSPECTION` before the driver parses it.
   * @default true outside production, false in production (`ApiSecurityModule`'s `production`)
   */
  readonly introspection?: boolean | GraphqlIntrospectionAllowRoles;
  /** A persisted-query allowlist: only the listed documents run (see {@link GraphqlPersistedQueries}). */
  readonly persistedQueries?: GraphqlPersistedQueries;
  /**
   * Append each operation's and field resolver's security decision to its description in the schema
   * ("Requires role admin.", "Owner only (id from argument id)."), so the schema documents its own
   * access rules. @default true
   */
  readonly annotateSchema?: boolean;
}

/** `introspection: { allowRoles }`: only principals with one of these roles may introspect. */
export interface GraphqlIntrospectionAllowRoles {
  /** Roles allowed to introspect; at least one. */
  readonly allowRoles: readonly string[];
}

/** Persisted queries: operation hash (`graphqlOperationHash(document)`) → document. */
export interface GraphqlPersistedQueries {
  /**
   * The allowed documents by their hash (SHA-256 hex of the exact text). A request may send the
   * hash alone (`extensions.persistedQuery.sha256Hash`, Apollo's shape) and the document is taken
   * from here. Each key is checked at boot against its document's hash.
   */
  readonly allowlist: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /**
   * Refuse (`ERR_GRAPHQL_PERSISTED_QUERY`, 400) any document not in the allowlist and any unknown
   * hash. When false, listed hashes are completed and everything else goes to the driver as usual.
   * @default true in production, false elsewhere
   */
  readonly enforce?: boolean;
}

const KNOWN_OPTIONS: readonly string[] = [
  'path',
  'maxBatchedOperations',
  'costPerUnit',
  'introspection',
  'persistedQueries',
  'annotateSchema',
];

const GRAPHQL_SECURITY_OPTIONS = Symbol('GRAPHQL_SECURITY_OPTIONS');

interface ResolvedOptions {
  readonly path: string;
  readonly maxBatchedOperations: number;
  readonly costPerUnit: number;
}

type Next = (error?: unknown) => void;
interface ExpressResponse {
  status(code: number): { json(body: unknown): unknown };
}
type ExpressApp = ExpressRouterApp<(req: { body?: unknown }, res: ExpressResponse, next: Next) => void>;
interface FastifyRequest {
  readonly body?: unknown;
  readonly routeOptions?: { readonly url?: string };
}
interface FastifyReply {
  code(status: number): { send(body: unknown): unknown };
}
interface FastifyApp {
  addHook(name: 'preHandler', hook: (request: FastifyRequest, reply: FastifyReply, done: Next) => void): unknown;
}

/**
 * Enforces the batch limit on the driver's endpoint. Fastify (Mercurius): a `preHandler` hook,
 * added before the driver registers its route. Express (Apollo): a middleware placed just before
 * the driver's route once every route exists (the body is parsed by then).
 */
@Injectable()
class GraphqlBatchLimiter implements OnModuleInit, OnApplicationBootstrap {
  private readonly expressGuard = (req: { body?: unknown }, res: ExpressResponse, next: Next): void => {
    if (!overBatchLimit(req.body, this.options.maxBatchedOperations)) return next();
    res.status(400).json(batchRefusal(this.options.maxBatchedOperations));
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GRAPHQL_SECURITY_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const { path, maxBatchedOperations: max } = this.options;
    adapter.getInstance<FastifyApp>().addHook('preHandler', (request, reply, done) => {
      if (request.routeOptions?.url !== path || !overBatchLimit(request.body, max)) return done();
      reply.code(400).send(batchRefusal(max));
    });
  }

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    const app = adapter.getInstance<ExpressApp>();
    placeBeforeDriverRoute(app, this.options.path, this.expressGuard);
  }
}

/**
 * What GraphQL needs besides the validation rules: the limit on batched operations and the rate
 * limit charged by query cost (OWASP API4), and field-level authorization (OWASP API3):
 * `@VisibleTo`/`@Hidden`/`@OwnedBy`/`@ResponseModel` on object and interface types decide which
 * fields resolve for whom, `@WritableBy` on input types who may send a field; on Apollo (Express)
 * and Mercurius (Fastify) alike.
 *
 * @example
 * ```ts
 * imports: [ApiSecurityModule.forRoot(options), GraphqlSecurityModule.forRoot({ maxBatchedOperations: 5 }), GraphQLModule.forRoot(...)]
 * ```
 */
@Module({})
export class GraphqlSecurityModule {
  /** The module with its options checked at boot (`ApiSecurityConfigError` on a bad value). */
  static forRoot(options: GraphqlSecurityOptions = {}): DynamicModule {
    const resolved: ResolvedOptions = {
      path: options.path ?? '/graphql',
      maxBatchedOperations: options.maxBatchedOperations ?? 10,
      costPerUnit: options.costPerUnit ?? 10,
    };
    const problems: string[] = [];
    if (!Number.isSafeInteger(resolved.maxBatchedOperations) || resolved.maxBatchedOperations < 1) {
      problems.push(`maxBatchedOperations must be a positive integer (got ${String(options.maxBatchedOperations)}).`);
    }
    if (!Number.isSafeInteger(resolved.costPerUnit) || resolved.costPerUnit < 1) {
      problems.push(`costPerUnit must be a positive integer (got ${String(options.costPerUnit)}).`);
    }
    if (!resolved.path.startsWith('/'))
      problems.push(`path must start with '/' (got ${JSON.stringify(resolved.path)}).`);
    const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.includes(key));
    if (unknown.length > 0) {
      throw new ApiSecurityConfigError(
        unknown.map((key) => {
          const closest = closestMatch(key, KNOWN_OPTIONS);
          return `unknown option ${JSON.stringify(key)}${closest === undefined ? '' : ` (did you mean ${JSON.stringify(closest)}?)`}.`;
        }),
        ConfigErrorCode.UNKNOWN_OPTION,
        'GraphqlSecurityModule',
      );
    }
    const exposure = checkExposureOptions(options, problems);
    if (problems.length > 0) throw new ApiSecurityConfigError(problems, undefined, 'GraphqlSecurityModule');
    return {
      module: GraphqlSecurityModule,
      // Global: the security guard (ApiSecurityModule's) finds the weigher that charges by cost, and
      // GraphQLModule.forRootAsync can inject GraphqlSubscriptions.
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: GRAPHQL_SECURITY_OPTIONS, useValue: resolved },
        { provide: GRAPHQL_EXPOSURE_OPTIONS, useValue: { path: resolved.path, ...exposure } },
        GraphqlSchemaExposure,
        GraphqlBatchLimiter,
        { provide: GRAPHQL_COST_PER_UNIT, useValue: resolved.costPerUnit },
        { provide: GRAPHQL_CHARGE_WEIGHER, useClass: GraphqlCostWeigher },
        GraphqlSubscriptions,
        // Field visibility and write rules (see GraphqlFieldSecurity); the token tells the core it is enforced.
        GraphqlFieldSecurity,
        { provide: GRAPHQL_FIELD_SECURITY, useExisting: GraphqlFieldSecurity },
        { provide: APP_INTERCEPTOR, useClass: GraphqlInputWriteInterceptor },
      ],
      exports: [GRAPHQL_CHARGE_WEIGHER, GraphqlSubscriptions],
    };
  }
}

/** Checks `introspection`, `persistedQueries` and `annotateSchema`; pushes a line per problem. */
function checkExposureOptions(options: GraphqlSecurityOptions, problems: string[]): Omit<ExposureOptions, 'path'> {
  const { introspection, persistedQueries, annotateSchema } = options;
  const out: { -readonly [K in keyof Omit<ExposureOptions, 'path'>]: ExposureOptions[K] } = {};
  if (annotateSchema !== undefined && typeof annotateSchema !== 'boolean') {
    problems.push(`annotateSchema must be a boolean (got ${JSON.stringify(annotateSchema)}).`);
  }
  out.annotateSchema = annotateSchema !== false;
  if (typeof introspection === 'boolean') out.introspection = introspection;
  else if (introspection !== undefined) {
    const roles: unknown = (introspection as { allowRoles?: unknown } | null)?.allowRoles;
    const extra =
      typeof introspection === 'object' && introspection !== null
        ? Object.keys(introspection).filter((k) => k !== 'allowRoles')
        : [];
    if (
      !Array.isArray(roles) ||
      roles.length === 0 ||
      roles.some((role) => typeof role !== 'string' || role === '') ||
      extra.length > 0
    ) {
      problems.push('introspection must be a boolean or { allowRoles: [...] } with at least one role name.');
    } else out.introspection = { allowRoles: [...(roles as string[])] };
  }
  if (persistedQueries !== undefined) {
    const given = persistedQueries as { allowlist?: unknown; enforce?: unknown } | null;
    const extra =
      typeof given === 'object' && given !== null
        ? Object.keys(given).filter((k) => k !== 'allowlist' && k !== 'enforce')
        : [];
    if (extra.length > 0) problems.push(`persistedQueries has unknown keys: ${extra.join(', ')} (allowlist, enforce).`);
    if (given?.enforce !== undefined && typeof given.enforce !== 'boolean') {
      problems.push(`persistedQueries.enforce must be a boolean (got ${JSON.stringify(given.enforce)}).`);
    }
    const raw = given?.allowlist;
    const entries: [unknown, unknown][] | undefined =
      raw instanceof Map
        ? [...raw.entries()]
        : typeof raw === 'object' && raw !== null
          ? Object.entries(raw)
          : undefined;
    if (entries === undefined)
      problems.push('persistedQueries.allowlist must be an object or a Map of hash → document.');
    const allowlist = new Map<string, string>();
    for (const [hash, document] of entries ?? []) {
      if (typeof document !== 'string' || typeof hash !== 'string' || graphqlOperationHash(document) !== hash) {
        problems.push(
          `persistedQueries.allowlist: the key ${JSON.stringify(String(hash)).slice(0, 80)} is not the SHA-256 hex of its document (use graphqlOperationHash(document)).`,
        );
      } else allowlist.set(hash, document);
    }
    out.persistedQueries = {
      allowlist,
      ...(typeof given?.enforce === 'boolean' ? { enforce: given.enforce } : {}),
    };
  }
  return out;
}
