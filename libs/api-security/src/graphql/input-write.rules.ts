import type { ClassType } from '../common/class-type';
import type { GraphqlResolverPlan } from '../plan/route-plan';
import { GRAPHQL_METADATA, isGraphqlClass } from '../pipeline/graphql-resolvers';
import { fieldVisibilities } from '../properties/visibility.metadata';
import type { BodyBinding, WritePolicy } from '../properties/write-policy';
import type { WritePolicyCompiler } from '../properties/write-policy.compiler';
import { declaredClass, type SchemaClasses } from './schema-classes';

/** One resolver method, as the boot walk finds it. */
export interface ResolverMethod {
  readonly resolverClass: ClassType;
  readonly name: string;
  /** `prototype[name]`: what an execution context's `getHandler()` returns. */
  readonly handler: object;
  readonly plan: GraphqlResolverPlan;
}

/** The `@WritableBy` rules of one resolver's arguments. */
export interface InputWriteRule {
  /** The resolver's plan key (`MUTATION Mutation.updateUser`), for the refusal's event. */
  readonly route: string;
  /** `@Args('input')` binds `args.input`; an `@Args()` object (an `@ArgsType`) binds the arguments whole. */
  readonly bindings: readonly BodyBinding[];
}

interface ArgsEntry {
  readonly index: number;
  readonly property?: string;
  readonly typeFn?: () => unknown;
}

/**
 * Compiles, once at boot, the `@WritableBy` rules of every resolver's arguments into the REST side's
 * {@link WritePolicy} (same rules, same walker, same refusal). Nesting follows the GraphQL
 * declarations (`@Field(() => [ItemInput])`), which GraphQL enforces, not class-transformer's
 * `@Type`, which GraphQL inputs rarely carry; arguments arrive keyed by property names
 * (@nestjs/graphql maps renamed fields back before guards and interceptors run).
 */
export function compileWriteRules(
  methods: readonly ResolverMethod[],
  classes: SchemaClasses,
  policies: Pick<WritePolicyCompiler, 'compileWith' | 'isGuarded'>,
  fieldResolverEnhancers: readonly string[],
): { rules: Map<object, InputWriteRule>; problems: string[] } {
  const rules = new Map<object, InputWriteRule>();
  const problems: string[] = [];
  const compiled = new Map<ClassType, WritePolicy>();
  const inputs = new Set<ClassType>();
  const nestedOf = (type: ClassType): ReadonlyMap<string, ClassType[]> => {
    const nested = new Map<string, ClassType[]>();
    for (const property of classes.properties(type)) {
      const held = declaredClass(property.typeFn);
      if (classes.isGraphqlClass(held) && !nested.has(property.name)) nested.set(property.name, [held]);
    }
    return nested;
  };
  for (const method of methods) {
    const bindings: BodyBinding[] = [];
    for (const { property, type } of argumentClasses(method, classes)) {
      collect(type, nestedOf, inputs);
      let policy = compiled.get(type);
      if (!policy) {
        policy = policies.compileWith(type, nestedOf);
        compiled.set(type, policy);
      }
      if (policies.isGuarded(policy)) bindings.push({ property, policy });
    }
    if (bindings.length === 0) continue;
    const { kind, type, field } = method.plan;
    const route = `${kind.toUpperCase()} ${type}.${field}`;
    if (kind === 'field' && !fieldResolverEnhancers.includes('interceptors')) {
      problems.push(
        `${route} takes input with @WritableBy fields, checked by an interceptor that Nest runs for field ` +
          `resolvers only with fieldResolverEnhancers: ['guards', 'interceptors', 'filters'] in GraphQLModule.forRoot.`,
      );
    }
    rules.set(method.handler, { route, bindings });
  }
  for (const policy of compiled.values()) problems.push(...defaultValueProblems(policy, classes, new Set()));
  for (const type of inputs) {
    if (fieldVisibilities(type).size > 0 && !isGraphqlClass(type, ['objectType', 'interface'])) {
      problems.push(
        `${type.name} is a GraphQL input with @VisibleTo/@Hidden, which do nothing on input (they decide what is ` +
          `read): restrict who may send a field with @WritableBy(...).`,
      );
    }
  }
  return { rules, problems: [...new Set(problems)] };
}

/** The GraphQL input classes a resolver takes (`@Args('input') input: OrderInput`, `@Args() args: PageArgs`). */
function argumentClasses(
  method: ResolverMethod,
  classes: SchemaClasses,
): { property: string | undefined; type: ClassType }[] {
  const declared = (Reflect.getMetadata(GRAPHQL_METADATA.argsType, method.resolverClass, method.name) ??
    []) as ArgsEntry[];
  const paramTypes = (Reflect.getMetadata('design:paramtypes', method.resolverClass.prototype as object, method.name) ??
    []) as unknown[];
  const found: { property: string | undefined; type: ClassType }[] = [];
  for (const entry of declared) {
    // An explicit type wins: a list argument reflects as `Array`, which names no class.
    let type = declaredClass(entry.typeFn);
    if (typeof type !== 'function') type = paramTypes[entry.index];
    if (classes.isGraphqlClass(type)) found.push({ property: entry.property, type });
  }
  return found;
}

/** Every input class reachable from `root`. */
function collect(
  root: ClassType,
  nestedOf: (type: ClassType) => ReadonlyMap<string, ClassType[]>,
  into: Set<ClassType>,
): void {
  const pending = [root];
  while (pending.length > 0) {
    const type = pending.pop() as ClassType;
    if (into.has(type)) continue;
    into.add(type);
    for (const types of nestedOf(type).values()) pending.push(...types);
  }
}

/**
 * GraphQL fills a field's `defaultValue` in when the client leaves the field out: a restricted
 * field with a default would be "sent" by every caller, and refused to all but the allowed roles.
 */
function defaultValueProblems(policy: WritePolicy, classes: SchemaClasses, seen: Set<WritePolicy>): string[] {
  if (seen.has(policy)) return [];
  seen.add(policy);
  const problems: string[] = [];
  for (const [property, roles] of policy.restricted) {
    const field = classes.properties(policy.type).find((p) => p.name === property);
    if (field?.options?.defaultValue !== undefined) {
      problems.push(
        `${policy.type.name}.${property} is @WritableBy(${roles.map((r) => `'${r}'`).join(', ')}) and has a ` +
          `defaultValue: GraphQL fills it in when a client leaves it out, so every caller would write it. Drop ` +
          `the default and apply it in the resolver when the field is absent.`,
      );
    }
  }
  for (const nested of policy.nested.values()) {
    for (const inner of nested) problems.push(...defaultValueProblems(inner, classes, seen));
  }
  return problems;
}
