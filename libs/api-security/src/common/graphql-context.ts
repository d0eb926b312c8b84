import type { ExecutionContext } from '@nestjs/common';

/** What a resolver's guard reads besides the HTTP request: its arguments and the parent object. */
export interface GraphqlResolverCall {
  /** The field's arguments, as GraphQL coerced them (`order(id: "A1")` → `{ id: 'A1' }`). */
  readonly args: Readonly<Record<string, unknown>>;
  /** The parent object a field resolver resolves on; undefined for a query or mutation. */
  readonly parent: unknown;
}

interface GraphqlContextShape {
  req?: unknown;
  request?: unknown;
  reply?: { request?: unknown; raw?: unknown };
  res?: unknown;
}

/**
 * The HTTP request under a GraphQL resolver, without importing @nestjs/graphql: a resolver's
 * arguments are `(parent, args, context, info)`, and the context carries the request as Apollo's
 * `req` (Express) or Mercurius's `reply.request` (Fastify), or `request` when the app's context
 * function names it so.
 */
export function graphqlRequestOf(context: ExecutionContext): unknown {
  return requestInGraphqlContext(context.getArgByIndex<unknown>(2));
}

/** {@link graphqlRequestOf} given the GraphQL context itself, as a schema-level resolver receives it. */
export function requestInGraphqlContext(context: unknown): unknown {
  const gql = context as GraphqlContextShape | null | undefined;
  return gql?.req ?? gql?.reply?.request ?? gql?.request;
}

/** The resolver's arguments and parent object, as GraphQL coerced them. */
export function graphqlCallOf(context: ExecutionContext): GraphqlResolverCall {
  const args = context.getArgByIndex<Record<string, unknown> | undefined>(1);
  return { args: args ?? {}, parent: context.getArgByIndex<unknown>(0) };
}

/**
 * The response a step may set headers on: the HTTP one, or under GraphQL the one in its context
 * (Apollo's `res`, Mercurius's `reply`), or Express's `req.res`; undefined when there is none.
 */
export function responseOf(context: ExecutionContext): unknown {
  // HTTP: the second handler argument is the response (switchToHttp() would allocate a wrapper).
  if (!isGraphqlContext(context)) return context.getArgByIndex<unknown>(1);
  const gql = context.getArgByIndex<GraphqlContextShape | undefined>(2);
  return gql?.res ?? gql?.reply ?? (gql?.req as { res?: unknown } | undefined)?.res;
}

/**
 * Whether Nest runs a GraphQL resolver. Tolerates a hand-made context without `getType` (tests,
 * subclasses written before GraphQL): such a context is taken to be HTTP, as it always was.
 */
export function isGraphqlContext(context: ExecutionContext): boolean {
  const { getType } = context as Partial<ExecutionContext>;
  return typeof getType === 'function' && getType.call(context) === 'graphql';
}
