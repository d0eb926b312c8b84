import { TypeMetadataStorage } from '@nestjs/graphql';
import type { ClassType } from '../common/class-type';

/** The part of @nestjs/graphql's metadata of one `@Field()` that field security reads. */
export interface GraphqlPropertyMetadata {
  /** The class property. */
  readonly name: string;
  /** The field's name in the schema (`@Field({ name })`), the property's by default. */
  readonly schemaName: string;
  /** The declared type; an input class for a nested input, a list's element type for a list. */
  readonly typeFn?: () => unknown;
  readonly options?: { readonly defaultValue?: unknown };
  /** The class that declares it: a mapped type's (`PickType`…) own abstract class for copied fields. */
  readonly target: ClassType;
}

/** The part of @nestjs/graphql's metadata of one code-first class that field security reads. */
interface GraphqlClassMetadata {
  readonly target: ClassType;
  readonly name: string;
  readonly isAbstract?: boolean;
  readonly properties?: readonly GraphqlPropertyMetadata[];
}

/** What a class is in the schema: `@ObjectType`, `@InterfaceType`, `@InputType` or `@ArgsType`. */
export type GraphqlClassKind = 'object' | 'interface' | 'input' | 'args';

/** The abstract classes @nestjs/graphql's mapped types create; they copy fields but not visibility rules. */
const MAPPED_TYPE_CLASSES = /^(Pick|Omit|Partial|Intersection)(Object|Input|Args|Interface)?Type$/;

/**
 * The code-first classes behind a schema, read once at boot from @nestjs/graphql's metadata storage
 * (compiled by then: the schema is built): which class a schema type is, and which class property
 * a field reads. Indexed from the storage's lists, so that looking a class up adds nothing to it.
 */
export class SchemaClasses {
  private readonly byTarget = new Map<ClassType, GraphqlClassMetadata[]>();
  private readonly byName = new Map<string, Map<GraphqlClassKind, ClassType[]>>();
  private readonly chains = new Map<ClassType, readonly GraphqlPropertyMetadata[]>();

  constructor() {
    const lists: [GraphqlClassKind, readonly unknown[]][] = [
      ['object', TypeMetadataStorage.getObjectTypesMetadata()],
      ['interface', TypeMetadataStorage.getInterfacesMetadata()],
      ['input', TypeMetadataStorage.getInputTypesMetadata()],
      ['args', TypeMetadataStorage.getArgumentsMetadata()],
    ];
    for (const [kind, list] of lists) {
      for (const entry of list as readonly GraphqlClassMetadata[]) {
        this.byTarget.set(entry.target, [...(this.byTarget.get(entry.target) ?? []), entry]);
        if (entry.isAbstract === true) continue;
        let kinds = this.byName.get(entry.name);
        if (!kinds) this.byName.set(entry.name, (kinds = new Map()));
        kinds.set(kind, [...(kinds.get(kind) ?? []), entry.target]);
      }
    }
  }

  /** The classes registered under a schema type's name, as that kind; several only on a name clash. */
  named(kind: GraphqlClassKind, name: string): readonly ClassType[] {
    return this.byName.get(name)?.get(kind) ?? [];
  }

  /** Whether `type` or a class it extends is a GraphQL class (a `@Field` holder) at all. */
  isGraphqlClass(type: unknown): type is ClassType {
    return typeof type === 'function' && this.chain(type as ClassType).length > 0;
  }

  /** The fields of `type` and of the classes it extends, the most derived first. */
  properties(type: ClassType): readonly GraphqlPropertyMetadata[] {
    let found = this.chains.get(type);
    if (!found) {
      found = this.chain(type).flatMap((entry) => entry.properties ?? []);
      this.chains.set(type, found);
    }
    return found;
  }

  /** The field of `type` (or a class it extends) named `schemaName` in the schema. */
  field(type: ClassType, schemaName: string): GraphqlPropertyMetadata | undefined {
    return this.properties(type).find((property) => property.schemaName === schemaName);
  }

  /** Whether a field was copied by `PickType`, `OmitType`, `PartialType` or `IntersectionType`. */
  isMapped(property: GraphqlPropertyMetadata): boolean {
    return MAPPED_TYPE_CLASSES.test(property.target.name);
  }

  /** The metadata of `type` and of each class it extends that @nestjs/graphql knows. */
  private chain(type: ClassType): GraphqlClassMetadata[] {
    const chain: GraphqlClassMetadata[] = [];
    for (let t: unknown = type; typeof t === 'function' && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
      chain.push(...(this.byTarget.get(t as ClassType) ?? []));
    }
    return chain;
  }
}

/** The class a field's declared type names (`() => [ItemInput]` gives `ItemInput`), if any. */
export function declaredClass(typeFn: (() => unknown) | undefined): unknown {
  let type: unknown = typeFn?.();
  while (Array.isArray(type)) type = type[0];
  return type;
}
