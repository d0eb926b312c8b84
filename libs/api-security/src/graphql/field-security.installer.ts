import { Injectable, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner, ModuleRef, ModulesContainer } from '@nestjs/core';
import { GRAPHQL_MODULE_OPTIONS } from '@nestjs/graphql';
import { defaultFieldResolver, isObjectType, type GraphQLSchema, type GraphQLFieldResolver } from 'graphql';
import { PrincipalRoles } from '../authorization/principal-roles';
import { requestInGraphqlContext } from '../common/graphql-context';
import { PRINCIPAL_KEY, type SecurityRequest } from '../common/security-principal';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { ConfigErrorCode } from '../errors/config-codes';
import { isResolverClass, resolverOf } from '../pipeline/graphql-resolvers';
import { ProjectionCompiler } from '../properties/projection.compiler';
import { WritePolicyCompiler } from '../properties/write-policy.compiler';
import {
  compileReadRules,
  fieldForbidden,
  mayRead,
  type FieldReadRule,
  type ReadRules,
} from './field-visibility.rules';
import { compileWriteRules, type InputWriteRule, type ResolverMethod } from './input-write.rules';
import { SchemaClasses } from './schema-classes';
import { servedSchemas } from './served-schemas';

/**
 * Field-level authorization for GraphQL (OWASP API3), installed once at bootstrap, when the schema
 * exists and before any request can arrive:
 *
 * - every field of an object type that has a visibility rule gets its resolver wrapped in place by
 *   a check of that rule against the request's principal and the parent object: a field the
 *   principal may not read throws `ERR_FIELD_FORBIDDEN` (its value is null) before its resolver,
 *   field middleware or property read runs. Only those fields are wrapped; the others cost nothing.
 *   The wrap is in the schema itself, so aliases, fragments, interfaces and batches change nothing:
 *   whatever selects the field runs the same resolver.
 * - the `@WritableBy` rules of every resolver's input arguments are compiled per resolver method,
 *   for {@link GraphqlInputWriteInterceptor}.
 *
 * A rule that cannot be enforced as written stops the boot (`ApiSecurityConfigError`,
 * `ERR_CONFIG_FIELD_SECURITY`).
 */
@Injectable()
export class GraphqlFieldSecurity implements OnApplicationBootstrap {
  /** Our own wrappers, so that a schema seen twice (two hosts, a driver's copy) is wrapped once. */
  private readonly wrappers = new WeakSet<object>();
  private writeRules = new Map<object, InputWriteRule>();
  private roles: PrincipalRoles | undefined;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The `@WritableBy` rules of a resolver method's arguments; undefined when none restricts a field. */
  writeRuleFor(handler: object): InputWriteRule | undefined {
    return this.writeRules.get(handler);
  }

  onApplicationBootstrap(): void {
    const schemas = this.schemas();
    if (schemas.length === 0) return;
    const projection = this.core(ProjectionCompiler);
    const policies = this.core(WritePolicyCompiler);
    this.roles = this.core(PrincipalRoles);
    const classes = new SchemaClasses();
    const problems: string[] = [];
    const reads: ReadRules[] = [];
    for (const schema of schemas) {
      const compiled = compileReadRules(schema, classes, (type) => projection.describe(type));
      problems.push(...compiled.problems);
      reads.push(compiled.rules);
    }
    const writes = compileWriteRules(this.resolverMethods(), classes, policies, this.fieldResolverEnhancers());
    problems.push(...writes.problems);
    if (problems.length > 0) {
      throw new ApiSecurityConfigError(
        [...new Set(problems)],
        ConfigErrorCode.FIELD_SECURITY,
        'GraphQL field security',
      );
    }
    schemas.forEach((schema, i) => this.install(schema, reads[i] as ReadRules));
    this.writeRules = writes.rules;
  }

  /** Wraps the resolver of every field with a rule. */
  private install(schema: GraphQLSchema, rules: ReadRules): void {
    for (const [typeName, fields] of rules) {
      const type = schema.getType(typeName);
      if (!isObjectType(type)) continue;
      const definitions = type.getFields();
      for (const [name, rule] of fields) {
        const field = definitions[name];
        if (!field || (field.resolve && this.wrappers.has(field.resolve))) continue;
        field.resolve = this.secured(rule, field.resolve ?? defaultFieldResolver);
      }
    }
  }

  private secured(
    rule: FieldReadRule,
    resolve: GraphQLFieldResolver<unknown, unknown>,
  ): GraphQLFieldResolver<unknown, unknown> {
    const roles = this.roles as PrincipalRoles;
    const secured: GraphQLFieldResolver<unknown, unknown> = (parent, args, context, info) => {
      // Read per field, not once per request: the principal is set when authentication completes,
      // and a public field may resolve before a protected sibling has authenticated.
      const principal = (requestInGraphqlContext(context) as SecurityRequest | undefined)?.[PRINCIPAL_KEY];
      if (!mayRead(rule, parent, principal, roles.of(principal))) throw fieldForbidden();
      return resolve(parent, args, context, info);
    };
    this.wrappers.add(secured);
    return secured;
  }

  private schemas(): GraphQLSchema[] {
    return servedSchemas(this.modules, this.adapterHost);
  }

  /** Every query, mutation, subscription and field resolver method of the app. */
  private resolverMethods(): ResolverMethod[] {
    const methods: ResolverMethod[] = [];
    const seen = new Set<Type>();
    for (const wrapper of this.discovery.getProviders()) {
      const resolverClass = wrapper.metatype as Type | undefined;
      if (typeof resolverClass !== 'function' || seen.has(resolverClass) || !isResolverClass(resolverClass)) continue;
      seen.add(resolverClass);
      const prototype = resolverClass.prototype as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const plan = resolverOf(resolverClass, handler, name);
        if (plan) methods.push({ resolverClass, name, handler, plan });
      }
    }
    return methods;
  }

  private fieldResolverEnhancers(): readonly string[] {
    try {
      const options = this.moduleRef.get<{ fieldResolverEnhancers?: readonly string[] }>(GRAPHQL_MODULE_OPTIONS, {
        strict: false,
      });
      return options?.fieldResolverEnhancers ?? [];
    } catch {
      return [];
    }
  }

  /** A provider of `ApiSecurityModule`, which must be imported too. */
  private core<T>(type: Type<T>): T {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      throw new ApiSecurityConfigError(
        ['GraphqlSecurityModule needs ApiSecurityModule.forRoot() imported in the same application.'],
        ConfigErrorCode.FIELD_SECURITY,
        'GraphqlSecurityModule',
      );
    }
  }
}
