import { GraphQLError, isNonNullType, isObjectType, type GraphQLField, type GraphQLSchema } from 'graphql';
import type { ClassType } from '../common/class-type';
import type { SecurityPrincipal } from '../common/security-principal';
import { isGraphqlClass } from '../pipeline/graphql-resolvers';
import { ownsValue } from '../properties/owner-match';
import type { ModelDescriptor } from '../properties/projection-plan';
import { defaultRule, grants } from '../properties/projection.compiler';
import { declaredModels, type FieldVisibility } from '../properties/visibility.metadata';
import type { SchemaClasses } from './schema-classes';

/** Stable `extensions.code` of a GraphQL field the caller may not read (OWASP API3). */
export const GraphqlFieldCode = {
  /** The field resolved to `null` without running: its type's visibility rules do not grant it to the caller. */
  FORBIDDEN: 'ERR_FIELD_FORBIDDEN',
} as const;
/** One of the stable {@link GraphqlFieldCode} values. */
export type GraphqlFieldCode = (typeof GraphqlFieldCode)[keyof typeof GraphqlFieldCode];

/** One rule a field is read under, with the owner property of the class that declares it. */
export interface ReadRuleSource {
  readonly rule: FieldVisibility;
  readonly ownerField: string | undefined;
  /** The rule names `owner`: only then is the parent object's owner compared. */
  readonly ownerMatters: boolean;
}

/** Who may read one field of one object type: every source must grant it. */
export interface FieldReadRule {
  /** `Type.field`, for messages. */
  readonly field: string;
  readonly sources: readonly ReadRuleSource[];
}

/** Object type name → field name → rule; fields anyone may read are not listed (and not wrapped). */
export type ReadRules = ReadonlyMap<string, ReadonlyMap<string, FieldReadRule>>;

/**
 * Whether the principal may read the field on `parent`, the object the field is resolved on (its
 * `@OwnedBy` property says who owns it). The rule's meaning is the REST projection's own
 * ({@link grants}); nothing about it is decided here.
 */
export function mayRead(
  rule: FieldReadRule,
  parent: unknown,
  principal: SecurityPrincipal | undefined,
  roles: ReadonlySet<string>,
): boolean {
  const authenticated = principal !== undefined;
  const sources = rule.sources;
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i] as ReadRuleSource;
    const owner =
      source.ownerMatters &&
      authenticated &&
      source.ownerField !== undefined &&
      typeof parent === 'object' &&
      parent !== null &&
      ownsValue(principal, (parent as Record<string, unknown>)[source.ownerField]);
    if (!grants(source.rule, { authenticated, owner, roles })) return false;
  }
  return true;
}

/**
 * The error a field the principal may not read is answered with (its value is then null). The
 * same fixed message for every field and principal: it says nothing about the value or the rule.
 */
export function fieldForbidden(): GraphQLError {
  const error = new GraphQLError('This field is not visible to the caller.', {
    extensions: { code: GraphqlFieldCode.FORBIDDEN, status: 403 },
  });
  // A server that prints stacks (Apollo in development) must not print the library's files.
  error.stack = '';
  return error;
}

/** A rule that lets somebody be refused: anything but one that names `public`. */
function canRefuse(rule: FieldVisibility): boolean {
  return rule.kind === 'hidden' || !rule.roles.includes('public');
}

function describeRule(rule: FieldVisibility): string {
  return rule.kind === 'hidden' ? '@Hidden()' : `visible to ${rule.roles.join(', ')}`;
}

interface Declared {
  readonly type: ClassType;
  readonly descriptor: ModelDescriptor;
}

/**
 * Compiles, once at boot, which fields of a code-first schema's object types have a visibility
 * rule, from the same metadata the REST projection reads (`describe` is the projection compiler's):
 *
 * - a field's own rule is the `@VisibleTo`/`@Hidden` of the object type's class (or a class it
 *   extends) on the field's property; without one, those of the interfaces the type implements
 *   (every one of them must grant); without any, the `@ResponseModel` default of the class, or of
 *   the interfaces, that carries visibility metadata;
 * - a type whose classes carry no visibility metadata at all is left alone: the schema is already
 *   an allowlist of fields (REST's "no metadata, nothing sent" rule guards the properties a class
 *   instance has beyond its declared ones, which GraphQL never sends).
 *
 * Returns the problems that make the declared rules unenforceable as written; the caller refuses
 * to boot on them.
 */
export function compileReadRules(
  schema: GraphQLSchema,
  classes: SchemaClasses,
  describe: (type: ClassType) => ModelDescriptor,
): { rules: ReadRules; problems: string[] } {
  const rules = new Map<string, Map<string, FieldReadRule>>();
  const problems: string[] = [];
  const declared = (type: ClassType | undefined): Declared | undefined => {
    if (type === undefined) return undefined;
    const descriptor = describe(type);
    return descriptor.declared ? { type, descriptor } : undefined;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const fields = Object.values(type.getFields());
    const isDeclared = (t: ClassType): boolean => describe(t).declared;
    const objectClass = single(classes, 'object', type.name, fields, isDeclared, problems);
    const own = declared(objectClass);
    const interfaces = type.getInterfaces().map((i) => ({
      graphql: i,
      declared: declared(single(classes, 'interface', i.name, Object.values(i.getFields()), isDeclared, problems)),
    }));
    const byField = new Map<string, FieldReadRule>();
    for (const field of fields) {
      const where = `${type.name}.${field.name}`;
      const property = objectClass ? classes.field(objectClass, field.name) : undefined;
      const holders = interfaces.filter((i) => i.declared !== undefined && i.graphql.getFields()[field.name]);
      const nameIn = (holder: Declared): string =>
        classes.field(holder.type, field.name)?.name ?? property?.name ?? field.name;
      let sources: ReadRuleSource[] = [];
      let explicit = true;
      const ownRule = own?.descriptor.fields.get(nameIn(own));
      if (own && ownRule) sources = [source(own, ownRule)];
      else {
        for (const holder of holders) {
          const rule = (holder.declared as Declared).descriptor.fields.get(nameIn(holder.declared as Declared));
          if (rule) sources.push(source(holder.declared as Declared, rule));
        }
      }
      if (sources.length === 0) {
        explicit = false;
        const defaults = own ? [own] : holders.map((holder) => holder.declared as Declared);
        sources = defaults.map((d) => source(d, defaultRule(d.descriptor.defaultVisibility)));
      }
      if (sources.length === 0) {
        if (objectClass && property && classes.isMapped(property)) {
          problems.push(...mappedTypeProblems(where, objectClass, property.name, describe));
        }
        continue;
      }
      const problem = fieldProblem(where, field, sources, explicit);
      if (problem) problems.push(problem);
      // A field everyone may read needs no check: it is left as it is and costs nothing.
      if (sources.some((s) => canRefuse(s.rule))) byField.set(field.name, { field: where, sources });
    }
    if (byField.size > 0) rules.set(type.name, byField);
  }
  return { rules, problems };
}

function source(holder: Declared, rule: FieldVisibility): ReadRuleSource {
  return {
    rule,
    ownerField: holder.descriptor.ownerField,
    ownerMatters: rule.kind === 'roles' && rule.roles.includes('owner'),
  };
}

/** Why a governed field cannot be enforced as declared, if it cannot. */
function fieldProblem(
  where: string,
  field: GraphQLField<unknown, unknown>,
  sources: readonly ReadRuleSource[],
  explicit: boolean,
): string | undefined {
  if (!explicit && sources.some((s) => s.rule.kind === 'hidden')) {
    return (
      `${where} has no @VisibleTo or @Hidden and its class's default visibility is 'none': nobody could ever ` +
      `read it. Declare who may (@VisibleTo(...)), or @ResponseModel({ defaultVisibility }) on the class.`
    );
  }
  const refusing = sources.find((s) => canRefuse(s.rule));
  if (refusing && isNonNullType(field.type)) {
    return (
      `${where} is non-null but ${describeRule(refusing.rule)}${explicit ? '' : ' (its class default)'}: a caller ` +
      `refused it would null the whole parent object. Make it nullable (@Field({ nullable: true })) so a ` +
      `refused read is null with ERR_FIELD_FORBIDDEN, or visible to 'public'.`
    );
  }
  return undefined;
}

/**
 * A field copied by a mapped type (`PickType(UserView, ['email'])`) onto a class without visibility
 * metadata: the mapped types copy fields, not visibility rules, so a field restricted on the source
 * class would be readable by everyone here. Refused when a GraphQL class restricts that property.
 */
function mappedTypeProblems(
  where: string,
  objectClass: ClassType,
  property: string,
  describe: (type: ClassType) => ModelDescriptor,
): string[] {
  const sources = declaredModels().filter(
    (model) => model !== objectClass && isGraphqlClass(model, ['objectType', 'interface']),
  );
  const restricting = sources.filter((model) => {
    const rule = describe(model).fields.get(property);
    return rule !== undefined && canRefuse(rule);
  });
  if (restricting.length === 0) return [];
  return [
    `${where} comes from a mapped type (PickType, OmitType, PartialType, IntersectionType), which copies fields ` +
      `but not visibility rules, and ${restricting.map((m) => m.name).join(', ')} restrict(s) '${property}': ` +
      `declare its visibility on ${objectClass.name} (e.g. @VisibleTo(...) on the property).`,
  ];
}

/**
 * The one class behind a schema type. On a name clash (two classes registered under one name, only
 * one of them in this schema) the classes whose fields all exist in the type are kept; if several
 * remain and one carries rules, which rules apply is unknown: a problem.
 */
function single(
  classes: SchemaClasses,
  kind: 'object' | 'interface',
  name: string,
  fields: readonly GraphQLField<unknown, unknown>[],
  isDeclared: (type: ClassType) => boolean,
  problems: string[],
): ClassType | undefined {
  const all = classes.named(kind, name);
  if (all.length < 2) return all[0];
  const names = new Set(fields.map((field) => field.name));
  const fitting = all.filter((type) => classes.properties(type).every((p) => names.has(p.schemaName)));
  if (fitting.length === 1) return fitting[0];
  if (fitting.some(isDeclared)) {
    problems.push(
      `${fitting.map((t) => t.name).join(', ')} are all registered as the GraphQL type ${name}: give them distinct ` +
        `names (@ObjectType('…')) so that the visibility rules of the one in the schema apply.`,
    );
  }
  return undefined;
}
