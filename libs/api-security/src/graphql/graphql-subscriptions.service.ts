import { Inject, Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import {
  GraphQLError,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import type { SecurityRequest } from '../common/security-principal';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStepContext } from '../plan/security-step';
import { findCredentialSteps, runCredentialSteps, type CredentialSteps } from './credential-steps';
import { GraphqlSchemaExposure } from './schema-exposure.installer';
import { GraphqlExposureCode, isIntrospectionText } from './schema-exposure.rules';

/** Request headers, as the library reads them. */
type Headers = Record<string, string | string[] | undefined>;

/**
 * What an authenticated connection hands its operations: the upgrade request's headers without its
 * credentials and cookies, the credentials of `connection_init`, and the client's address.
 */
interface Connection {
  readonly headers: Readonly<Headers>;
  readonly url: string;
  readonly ip: string | undefined;
}

/** The upgrade request, as graphql-ws (Node's `IncomingMessage`) or Mercurius (Fastify's request) gives it. */
interface UpgradeRequest {
  readonly headers?: Headers;
  readonly url?: string;
  readonly ip?: string;
  readonly socket?: { readonly remoteAddress?: string };
}

/** The HTTP context function of an Apollo app: `({ req, res }) => ({ req, res })` unless given. */
export type GraphqlHttpContext = (...args: never[]) => unknown;

/** Options of {@link GraphqlSubscriptions.graphqlWs}. */
export interface GraphqlWsSubscriptionOptions {
  /** The app's context function for HTTP requests. @default ({ req, res }) => ({ req, res }) */
  readonly context?: GraphqlHttpContext;
  /** Further graphql-ws settings (`path`, `connectionInitWaitTimeout`, …); `onConnect` is the library's. */
  readonly graphqlWs?: Omit<GraphQLWsSubscriptionsConfig, 'onConnect'>;
}

/** What {@link GraphqlSubscriptions.graphqlWs} returns, to spread into `ApolloDriverConfig`. */
export interface GraphqlWsSubscriptionConfig {
  /** graphql-ws settings whose `onConnect` authenticates `connection_init`. */
  readonly subscriptions: { readonly 'graphql-ws': GraphQLWsSubscriptionsConfig };
  /** Builds each operation's context; a WebSocket operation gets the connection's principal. */
  readonly context: (...args: unknown[]) => Promise<unknown>;
}

/** Options of {@link GraphqlSubscriptions.mercurius}. */
export interface MercuriusSubscriptionOptions {
  /**
   * The app's validation rules (`graphqlQueryLimits(...)`), applied to subscription documents,
   * which Mercurius executes without validating them. @default none (only graphql-js's own rules)
   */
  readonly validationRules?: readonly ValidationRule[];
}

/** The part of Mercurius's subscription connection `onConnect` is called on. */
interface MercuriusConnection {
  readonly context?: { readonly request?: UpgradeRequest };
}

/** Mercurius's `onConnect`, called as a method of the connection (which holds the upgrade request). */
type MercuriusOnConnect = (
  this: MercuriusConnection | undefined,
  message: { readonly payload?: unknown },
) => Promise<false | Readonly<Record<symbol, Connection>>>;

/** Mercurius's `preSubscriptionExecution` hook (its context is the subscription's, Mercurius's type). */
type MercuriusPreSubscriptionExecution = (
  schema: GraphQLSchema,
  document: DocumentNode,
  context: object,
) => Promise<void>;

/** What {@link GraphqlSubscriptions.mercurius} returns, to spread into `MercuriusDriverConfig`. */
export interface MercuriusSubscriptionConfig {
  /** Mercurius subscription settings whose `onConnect` authenticates `connection_init`. */
  readonly subscription: { readonly onConnect: MercuriusOnConnect };
  /** Runs the route's security plan before each subscription starts. */
  readonly hooks: { readonly preSubscriptionExecution: MercuriusPreSubscriptionExecution[] };
}

/** Where a Mercurius connection keeps what it authenticated with, in its context. */
const CONNECTION = Symbol('api-security.graphqlConnection');

/** The handler the connection's execution context names (DPoP and reflection read it; it has no metadata). */
function connectionInit(): void {}

/**
 * Authenticates GraphQL subscriptions when their WebSocket connection opens (`connection_init`),
 * through the library's own steps: the same authenticators, revocation check, `PrincipalCheck`
 * and rate limit as an HTTP request. A connection without a credential, or with a forged, expired
 * or revoked one, is refused before anything runs. The credential is read from the connection
 * parameters (`authorization` or `Authorization`, and the API-key header's name), never from the
 * upgrade request's cookies or headers: a browser opens a WebSocket to any site with its cookies
 * (cross-site WebSocket hijacking), while only the page's own script sets the parameters.
 *
 * Each operation of the connection then gets its own request carrying that credential, and its
 * resolver runs the security guard like any other: the rate limit (charged by cost), the
 * credential checked again (so a token revoked since the connection opened starts nothing more),
 * roles and ownership.
 *
 * @example
 * ```ts
 * GraphQLModule.forRootAsync<ApolloDriverConfig>({
 *   driver: ApolloDriver,
 *   inject: [GraphqlSubscriptions],
 *   useFactory: (subscriptions: GraphqlSubscriptions) => ({ autoSchemaFile: true, ...subscriptions.graphqlWs() }),
 * })
 * ```
 */
@Injectable()
export class GraphqlSubscriptions {
  private readonly logger = new Logger('ApiSecurity');
  /** Names of the headers that carry credentials: read from the connection parameters only. */
  private readonly credentials: ReadonlySet<string>;
  /** The plan a connection is authenticated and charged under (one unit of the shared tiers). */
  private readonly plan: RoutePlan;
  /** Authenticated graphql-ws connections, by their graphql-ws context. */
  private readonly connections = new WeakMap<object, Connection>();
  private steps: CredentialSteps | undefined;

  /** @internal Created by `GraphqlSecurityModule`; inject it, do not construct it. */
  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
  ) {
    this.credentials = new Set(['authorization', options.apiKeys.header.toLowerCase()]);
    const { rateLimit } = options;
    const tiers = [...rateLimit.tiers, ...(rateLimit.global ? [rateLimit.global] : [])];
    this.plan = Object.freeze({
      key: 'GRAPHQL connection_init',
      method: 'GET',
      path: '',
      versions: [],
      controller: GraphqlSubscriptions.name,
      handler: 'connectionInit',
      isPublic: false,
      ...(rateLimit.enabled && tiers.length > 0 ? { rateLimit: Object.freeze({ tiers, cost: 1 }) } : {}),
    });
  }

  /**
   * Apollo (`@nestjs/apollo`, the graphql-ws server `@nestjs/graphql` starts): `subscriptions`
   * with the library's `onConnect`, and a `context` that gives each WebSocket operation its own
   * request (`req`) and HTTP requests the app's context. Spread it into the driver's config.
   */
  graphqlWs(options: GraphqlWsSubscriptionOptions = {}): GraphqlWsSubscriptionConfig {
    const http = (options.context ?? defaultHttpContext) as (...args: unknown[]) => unknown;
    return {
      subscriptions: {
        'graphql-ws': {
          ...options.graphqlWs,
          // Introspection over the WebSocket: the HTTP check never sees these operations.
          onSubscribe: async (ctx, id, payload) => {
            if (
              typeof payload.query === 'string' &&
              isIntrospectionText(payload.query) &&
              !this.introspectionAllowed()
            ) {
              return [
                new GraphQLError('Introspection is not allowed.', {
                  extensions: { code: GraphqlExposureCode.INTROSPECTION },
                }),
              ];
            }
            return options.graphqlWs?.onSubscribe?.(ctx, id, payload);
          },
          onConnect: async (ctx) => {
            const extra = ctx.extra as { request?: UpgradeRequest } | undefined;
            const connection = this.connectionOf(extra?.request, ctx.connectionParams);
            if (!(await this.authenticate(connection))) return false;
            this.connections.set(ctx, connection);
            return true;
          },
        },
      },
      context: async (...args: unknown[]) => {
        const first = args[0];
        const connection = typeof first === 'object' && first !== null ? this.connections.get(first) : undefined;
        return connection === undefined ? http(...args) : { req: this.requestOf(connection) };
      },
    };
  }

  /**
   * Mercurius (`@nestjs/mercurius`): `subscription.onConnect`, and a `preSubscriptionExecution`
   * hook that gives each subscription its own request (`req`) and validates its document with the
   * app's rules. Spread it into the driver's config (merge `hooks` with the app's own).
   */
  mercurius(options: MercuriusSubscriptionOptions = {}): MercuriusSubscriptionConfig {
    const rules = [...specifiedRules, ...(options.validationRules ?? [])];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- Mercurius calls onConnect on its connection.
    const subscriptions = this;
    const onConnect: MercuriusOnConnect = async function (this: MercuriusConnection | undefined, message) {
      const upgrade = this?.context?.request;
      if (upgrade === undefined) {
        // Without the upgrade request the address is unknown, and failures could not be charged to it.
        subscriptions.logger.error('GraphqlSubscriptions: Mercurius gave onConnect no request; connection refused.');
        return false;
      }
      const connection = subscriptions.connectionOf(upgrade, message.payload);
      if (!(await subscriptions.authenticate(connection))) return false;
      return { [CONNECTION]: connection };
    };
    const preSubscriptionExecution: MercuriusPreSubscriptionExecution = async (schema, document, subscription) => {
      const errors = validate(schema, document, rules);
      if (errors.length > 0) throw errors[0];
      const context = subscription as { [CONNECTION]?: Connection; req?: SecurityRequest };
      const connection = context[CONNECTION];
      // onConnect accepted every connection that gets here; without it, refuse rather than run unauthenticated.
      if (connection === undefined) {
        throw new GraphQLError('Unauthenticated.', { extensions: { code: 'ERR_UNAUTHENTICATED' } });
      }
      context.req = this.requestOf(connection);
    };
    return { subscription: { onConnect }, hooks: { preSubscriptionExecution: [preSubscriptionExecution] } };
  }

  /** Whether WebSocket operations may introspect (fails closed when the exposure service is missing). */
  private introspectionAllowed(): boolean {
    try {
      const exposure = this.moduleRef.get(GraphqlSchemaExposure, { strict: false }) as Partial<GraphqlSchemaExposure>;
      return typeof exposure?.introspectionOverWebSocket === 'function' && exposure.introspectionOverWebSocket();
    } catch {
      return false;
    }
  }

  /** The connection's credentials from `connection_init`, the rest from the upgrade request. */
  private connectionOf(upgrade: UpgradeRequest | undefined, params: unknown): Connection {
    const headers: Headers = {};
    for (const [name, value] of Object.entries(upgrade?.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower !== 'cookie' && !this.credentials.has(lower)) headers[lower] = value;
    }
    // `{ authorization }`, or `{ headers: { authorization } }` as Mercurius's clients send it.
    const given = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    const nested = typeof given.headers === 'object' && given.headers !== null ? given.headers : {};
    for (const source of [nested as Record<string, unknown>, given]) {
      for (const [name, value] of Object.entries(source)) {
        const lower = name.toLowerCase();
        if (this.credentials.has(lower) && typeof value === 'string') headers[lower] = value;
      }
    }
    return Object.freeze({
      headers: Object.freeze(headers),
      // The path only: a query string may hold a token some client put there.
      url: (upgrade?.url ?? '').split('?')[0],
      ip: upgrade?.ip ?? upgrade?.socket?.remoteAddress,
    });
  }

  /** A request of its own for one operation (the guard keeps per-request state on it). */
  private requestOf(connection: Connection): SecurityRequest {
    return {
      headers: { ...connection.headers },
      method: 'GET',
      url: connection.url,
      ...(connection.ip === undefined ? {} : { ip: connection.ip }),
    };
  }

  /**
   * Runs the chain's `rate-limit` and `authentication` steps for the connection, as for an HTTP
   * request: true when a principal was established. A refusal (401, 429) was reported by the steps
   * (events, log); anything else is logged here, and refuses the connection too.
   */
  private async authenticate(connection: Connection): Promise<boolean> {
    const request = this.requestOf(connection);
    const execution = new ExecutionContextHost([request, undefined, undefined], GraphqlSubscriptions, connectionInit);
    execution.setType('ws');
    const context: SecurityStepContext = { request, plan: this.plan, execution };
    this.steps ??= findCredentialSteps(this.moduleRef, this.plan, 'GraphqlSubscriptions');
    try {
      await runCredentialSteps(this.steps, context);
    } catch (error) {
      if (!(error instanceof SecurityException)) {
        this.logger.error(`GraphqlSubscriptions: connection refused: ${(error as Error).message}`);
      }
      return false;
    }
    return request.principal !== undefined;
  }
}

function defaultHttpContext({ req, res }: { req?: unknown; res?: unknown }): { req: unknown; res: unknown } {
  return { req, res };
}
