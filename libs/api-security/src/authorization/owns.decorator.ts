import type { CustomDecorator, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { nameList, RESOURCE_NAME } from './name-list';

/** How `@Owns(resource, options)` checks a route. */
export interface OwnsOptions {
  /**
   * Route parameter that carries the resource id, read as the framework decoded it (never from the
   * query string or body, never trimmed or case-folded).
   * @default 'id'
   */
  param?: string;
  /**
   * Top-level request body field that carries the resource id instead of a route parameter, for
   * routes like `POST /checkout { orderId }`. Only a non-empty string counts as an id: a missing,
   * empty or non-string value is denied like an unowned id. Not combinable with `param`.
   */
  body?: string;
  /**
   * GraphQL resolver argument that carries the resource id (`order(id: ID!)` → `{ arg: 'id' }`), read
   * from the resolver's arguments as GraphQL coerced them. Only a non-empty string (an `ID` is one)
   * counts. Not combinable with `param`, `body` or `parent`. Ignored by HTTP routes' boot audit.
   */
  arg?: string;
  /**
   * Field of the parent object that carries the resource id, for a field resolver
   * (`@ResolveField() lines(@Parent() order)` → `{ parent: 'id' }`). Only a non-empty string counts.
   */
  parent?: string;
  /**
   * Roles that skip the ownership check, expanded through the role hierarchy (a role that includes
   * one of these bypasses too). `[]` means nobody bypasses.
   * @default ['admin']
   */
  bypassRoles?: readonly string[];
  /**
   * Status for a resource the caller does not own. 404 (the default) does not reveal that the id
   * exists; 403 when the API's clients need to tell the two apart.
   * @default 404
   */
  onDenied?: 404 | 403;
}

/** `@Owns(false, { reason })`: why a route with an id-like parameter needs no ownership check. */
export interface OwnsOptOutOptions {
  /** Required, non-empty: it is what a reviewer reads in the route inventory. */
  reason: string;
}

/** The ownership decision compiled from `@Owns`, with every default filled in. */
export type OwnershipDecision =
  | {
      readonly kind: 'resource';
      readonly resource: string;
      /** The route parameter, or the body field when `from` is `'body'`. */
      readonly param: string;
      /** Present when the id is read from the request body, a GraphQL argument or the parent object. */
      readonly from?: 'body' | 'arg' | 'parent';
      readonly bypassRoles: readonly string[];
      readonly onDenied: 404 | 403;
    }
  | { readonly kind: 'opt-out'; readonly reason: string };

type OwnsArguments = readonly [resource: unknown, options: unknown];

const PARAM = /^[A-Za-z_$][\w$]{0,63}$/;
const OPTION_KEYS = new Set(['param', 'body', 'arg', 'parent', 'bypassRoles', 'onDenied']);
const SOURCES = ['param', 'body', 'arg', 'parent'] as const;

function decide([resource, options]: OwnsArguments): OwnershipDecision {
  if (resource === false) {
    const reason = (options as Partial<OwnsOptOutOptions> | undefined)?.reason;
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError('@Owns(false, { reason }) needs a non-empty reason saying why no ownership check applies.');
    }
    return Object.freeze({ kind: 'opt-out', reason: reason.trim() });
  }
  if (typeof resource !== 'string' || !RESOURCE_NAME.test(resource)) {
    throw new TypeError(
      `@Owns() takes a resource name like 'order' (letters, digits, _ . : -) or false (got ${JSON.stringify(resource)}).`,
    );
  }
  const given = (options ?? {}) as Record<string, unknown>;
  // A misspelt option (say `params`) would otherwise be ignored and the default silently used.
  const unknown = Object.keys(given).filter((key) => !OPTION_KEYS.has(key));
  if (unknown.length > 0) throw new TypeError(`@Owns('${resource}') has unknown option(s): ${unknown.join(', ')}.`);
  const sources = SOURCES.filter((key) => given[key] !== undefined);
  if (sources.length > 1) {
    throw new TypeError(
      `@Owns('${resource}') takes the id from one of a route parameter, a body field, a GraphQL argument or the parent object, not both ${sources.join(' and ')}.`,
    );
  }
  const source = sources[0] ?? 'param';
  const param = given[source] ?? 'id';
  if (typeof param !== 'string' || !PARAM.test(param)) {
    const what = {
      param: 'a route parameter',
      body: 'a body field',
      arg: 'a GraphQL argument',
      parent: 'a parent field',
    };
    throw new TypeError(`@Owns('${resource}') ${source} must be ${what[source]} name (got ${JSON.stringify(param)}).`);
  }
  const from = source === 'param' ? {} : { from: source };
  const onDenied = given.onDenied ?? 404;
  if (onDenied !== 404 && onDenied !== 403) {
    throw new TypeError(`@Owns('${resource}') onDenied must be 404 or 403 (got ${JSON.stringify(onDenied)}).`);
  }
  const bypass = given.bypassRoles ?? ['admin'];
  if (!Array.isArray(bypass)) throw new TypeError(`@Owns('${resource}') bypassRoles must be an array of role names.`);
  const bypassRoles = bypass.length === 0 ? Object.freeze([]) : nameList(`@Owns('${resource}') bypassRoles`, bypass);
  return Object.freeze({ kind: 'resource', resource, param, ...from, bypassRoles, onDenied });
}

const OwnsMetadata = Reflector.createDecorator<OwnsArguments, OwnershipDecision>({
  key: 'api-security:owns',
  transform: (args) => decide(args ?? [undefined, undefined]),
});

/**
 * Only the owner of the resource named by the route's id parameter may call the route (OWASP API1,
 * broken object level authorization). Ownership is answered by the {@link OwnershipResolver}
 * registered for `resource` with `provideOwnershipResolver`; with none registered the app does not
 * boot. Anything short of a clear "yes" — not owned, unknown id, missing or empty id, a resolver
 * error — is denied with 404 (or 403 with `onDenied: 403`), never a 500. `bypassRoles` (default
 * `['admin']`) skip the check.
 *
 * On a controller it applies to every route whose path has the parameter; a method-level `@Owns`
 * replaces it. `@Owns(false, { reason })` records that a route with an id-like parameter needs no
 * ownership check, which the boot audit otherwise demands.
 *
 * @example
 * ```ts
 * @Get(':id') @Owns('order') find(@Param('id') id: string) {}
 * @Get(':orderId/lines') @Owns('order', { param: 'orderId', onDenied: 403 }) lines() {}
 * @Get('by-code/:codeId') @Owns(false, { reason: 'codes are public vouchers' }) code() {}
 * @Post('checkout') @Owns('order', { body: 'orderId' }) checkout(@Body() body: CheckoutDto) {}
 * ```
 */
export function Owns(resource: string, options?: OwnsOptions): CustomDecorator;
/** Records that this route needs no ownership check, with the reason (the boot audit asks for one). */
export function Owns(resource: false, options: OwnsOptOutOptions): CustomDecorator;
export function Owns(resource: string | false, options?: OwnsOptions | OwnsOptOutOptions): CustomDecorator {
  return OwnsMetadata([resource, options]);
}

/** Where the `@Owns` in force for a handler was declared. Boot-time only. */
export interface DeclaredOwnership {
  readonly decision: OwnershipDecision;
  readonly on: 'handler' | 'controller';
}

/** The `@Owns` in force for a handler: the method's, else the controller's. Boot-time only. */
export function declaredOwnership(
  reflector: Reflector,
  handler: object,
  controller: Type,
): DeclaredOwnership | undefined {
  const own = reflector.get(OwnsMetadata, handler as () => unknown);
  if (own !== undefined) return { decision: own, on: 'handler' };
  const inherited = reflector.get(OwnsMetadata, controller);
  return inherited === undefined ? undefined : { decision: inherited, on: 'controller' };
}
