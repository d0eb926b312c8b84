import type { HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { GraphQLSchema } from 'graphql';

/**
 * Every schema the app serves: each GraphQLModule's (an app may have several), and Mercurius's own
 * when a `schemaTransforms` option gave it a new one. Empty before the GraphQL modules have started.
 */
export function servedSchemas(modules: ModulesContainer, adapterHost: HttpAdapterHost): GraphQLSchema[] {
  const found = new Set<GraphQLSchema>();
  for (const module of modules.values()) {
    const host = module.providers.get(GraphQLSchemaHost)?.instance as GraphQLSchemaHost | undefined;
    if (!host) continue;
    try {
      found.add(host.schema);
    } catch {
      // A GraphQLModule without an HTTP server builds no schema: nothing is served, nothing to secure.
    }
  }
  const adapter = adapterHost.httpAdapter;
  if (adapter?.getType() === 'fastify') {
    const mercurius = adapter.getInstance<{ graphql?: { schema?: unknown } }>().graphql?.schema;
    if (mercurius instanceof GraphQLSchema) found.add(mercurius);
  }
  return [...found];
}
