import {
  Inject,
  Injectable,
  NotFoundException,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestShape } from '../common/request-shape';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { ConfigErrorCode } from '../errors/config-codes';
import { HardeningMiddleware } from './hardening.middleware';
import { SecurityHeadersService } from './security-headers.service';

/** The part of Node's HTTP server (http, https or http2 compat) the hardener attaches to. */
interface RequestEmitter {
  prependListener(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
  removeListener(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown;
}

/** The part of a Fastify instance the hardener configures. */
interface FastifyHooks {
  addHook(
    name: 'onRequest',
    hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse }, done: (error?: unknown) => void) => void,
  ): unknown;
}

/** One entry of Express's router stack: a route (`app.all`, `app.get`) has `route`. */
interface ExpressLayer {
  readonly handle: unknown;
  /** The handler's function name (`jsonParser`, …). */
  readonly name?: string;
  readonly route?: unknown;
  match(path: string): boolean;
}

/** The part of an Express application the hardener configures. */
interface ExpressSettings {
  disable(setting: string): unknown;
  readonly router?: { readonly stack?: ExpressLayer[] };
}

type Next = (error?: unknown) => void;

/** body-parser's middleware, by the names Nest itself looks them up by (`isMiddlewareApplied`). */
const BODY_PARSERS: ReadonlySet<string> = new Set(['jsonParser', 'urlencodedParser', 'rawParser', 'textParser']);

/**
 * Moves the layer of `handle`, just added at the end of Express's router stack, in front of the
 * first body parser (or, with Nest's parsers off, the first route). What the application put there
 * before `init()` (`enableCors`, helmet, compression) still runs first, so a refusal carries its
 * CORS headers; no body byte is parsed before the checks. Throws when there is no stack, rather
 * than leave the checks after the parsers.
 */
function placeBeforeBodyParsers(stack: ExpressLayer[] | undefined, handle: unknown): void {
  const index = stack?.findIndex((layer) => layer.handle === handle) ?? -1;
  if (!stack || index < 0) {
    throw new ApiSecurityConfigError(
      [
        'the Express application has no router stack to put the hardening checks in before the body parsers (Express 5 has one)',
      ],
      ConfigErrorCode.UNSUPPORTED_ADAPTER,
      'HTTP adapter',
    );
  }
  const [layer] = stack.splice(index, 1);
  const first = stack.findIndex((other) => BODY_PARSERS.has(other.name ?? '') || other.route !== undefined);
  stack.splice(first < 0 ? stack.length : first, 0, layer);
}

function isRequestEmitter(server: unknown): server is RequestEmitter {
  const candidate = server as Partial<RequestEmitter> | undefined;
  return typeof candidate?.prependListener === 'function' && typeof candidate.removeListener === 'function';
}

/**
 * Hardens the paths the module's middleware never sees. Nest applies module middleware under the
 * global prefix only, and handlers registered on the adapter before `init()` (Swagger UI, static
 * assets) run before any of it; Express answers a path outside the prefix with its own HTML
 * "Cannot GET", without the security headers.
 *
 * - Every response gets the security headers first: a listener placed before the framework's own
 *   on the HTTP server's `request` event applies them (documentation paths get their CSP).
 * - The module's hardening checks (declared body size and type, CORS) run on every path, before
 *   any body is parsed: on Fastify as an `onRequest` hook, on Express as a router layer placed
 *   ahead of the body parsers. A refusal goes to Nest's exception layer, so the application's
 *   filters answer it.
 * - Express: `X-Powered-By` is switched off for the whole application, and a request no route
 *   matched, inside or outside the prefix, ends in a `NotFoundException` handed to Nest's
 *   exception layer, so the application's filters answer it (problem details by default). Fastify
 *   already sends every unmatched path to Nest's not-found handler.
 *
 * Runs in `onModuleInit`, after Nest registered the routes and before its own not-found and error
 * handlers. A route added to the Express adapter after `app.init()` is shadowed by this fallback,
 * as it would be by Nest's own not-found handler.
 */
@Injectable()
export class HttpServerHardener implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private server: RequestEmitter | undefined;
  /**
   * Express routes that other modules registered after the fallback, in their own `onModuleInit`
   * (the GraphQL drivers' `/graphql`): the fallback lets a request through to them. Known at
   * bootstrap; until then (no request is served) there is none.
   */
  private laterRoutes: readonly ExpressLayer[] = [];
  private readonly fallback = (req: { path?: string; url?: string }, _res: unknown, next: Next): void => {
    const path = req.path ?? req.url ?? '/';
    for (const layer of this.laterRoutes) if (layer.match(path)) return next();
    next(new NotFoundException());
  };
  /**
   * The hardening checks as a plain Express middleware. As Nest module middleware they cost a
   * wildcard route match, two async wrappers and a WeakSet entry per request, and ran after the
   * body parsers.
   */
  private readonly hardening = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    try {
      this.middleware.use(req, res, next);
    } catch (error) {
      next(error);
    }
  };
  /** Express only: see `RequestShape` (Fastify keeps Node's request and response as they are). */
  private shape: RequestShape | undefined;
  private readonly applyHeaders = (req: IncomingMessage, res: ServerResponse): void => {
    this.shape?.prepare(req, res);
    this.headers.applyFirst(req, res);
  };

  constructor(
    @Inject(API_SECURITY_OPTIONS) private readonly options: ResolvedApiSecurityOptions,
    private readonly adapterHost: HttpAdapterHost,
    private readonly headers: SecurityHeadersService,
    private readonly middleware: HardeningMiddleware,
  ) {}

  onModuleInit(): void {
    // Undefined in an application context without HTTP (tests, workers): nothing to harden.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const server: unknown = adapter.getHttpServer();
    if (isRequestEmitter(server)) {
      server.prependListener('request', this.applyHeaders);
      this.server = server;
    }
    if (adapter.getType() === 'fastify') {
      // The module's middleware as a plain Fastify hook: as Nest middleware it would make every
      // request go through @fastify/middie, which costs more than the checks themselves (see
      // ApiSecurityModule.configure). A refusal goes to done(error), i.e. to Nest's exception layer.
      const middleware = this.middleware;
      adapter.getInstance<FastifyHooks>().addHook('onRequest', (request, reply, done) => {
        try {
          middleware.use(request.raw, reply.raw, done);
        } catch (error) {
          done(error);
        }
      });
    }
    if (adapter.getType() === 'express') {
      this.shape = new RequestShape(this.options.hardening.shapeExpressRequests);
      const app = adapter.getInstance<ExpressSettings>();
      app.disable('x-powered-by');
      adapter.use(this.hardening);
      placeBeforeBodyParsers(app.router?.stack, this.hardening);
      adapter.use(this.fallback);
    }
  }

  onApplicationBootstrap(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    const stack = adapter.getInstance<ExpressSettings>().router?.stack ?? [];
    const index = stack.findIndex((layer) => layer.handle === this.fallback);
    if (index >= 0) this.laterRoutes = stack.slice(index + 1).filter((layer) => layer.route !== undefined);
  }

  onApplicationShutdown(): void {
    this.server?.removeListener('request', this.applyHeaders);
    this.server = undefined;
  }
}
