import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  Field,
  GraphQLSchemaBuilderModule,
  GraphQLSchemaFactory,
  ID,
  InterfaceType,
  ObjectType,
  Query,
  Resolver,
} from '@nestjs/graphql';
import type { GraphQLSchema } from 'graphql';
import type { SecurityPrincipal } from '../common/security-principal';
import { Hidden } from '../properties/hidden.decorator';
import { OwnedBy } from '../properties/owned-by.decorator';
import { ProjectionCompiler } from '../properties/projection.compiler';
import { ResponseModel } from '../properties/response-model.decorator';
import { VisibleTo } from '../properties/visible-to.decorator';
import {
  compileReadRules,
  fieldForbidden,
  GraphqlFieldCode,
  mayRead,
  type FieldReadRule,
} from './field-visibility.rules';
import { SchemaClasses } from './schema-classes';

@InterfaceType({ resolveType: () => 'Card' })
@OwnedBy('ownerId')
abstract class Ownable {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('owner', 'admin') @Field(() => String, { nullable: true }) secret?: string;
}

/** No metadata of its own: its interface's rules apply to the interface's fields. */
@ObjectType({ implements: () => [Ownable] })
class Card implements Ownable {
  id!: string;
  secret?: string;
  @Field() title!: string;
}

@ObjectType()
@OwnedBy('userId')
@ResponseModel({ defaultVisibility: 'public' })
class Account {
  @Field(() => ID) id!: string;
  @VisibleTo('owner') @Field(() => String, { name: 'mail', nullable: true }) email?: string;
  @Hidden() @Field(() => String, { nullable: true }) hash?: string;
  /** Its own rule wins over the class default. */
  @VisibleTo('admin') @Field(() => String, { nullable: true }) notes?: string;
}

/** No visibility metadata: GraphQL's own allowlist (the schema) is all there is. */
@ObjectType()
class Plain {
  @Field() value!: string;
}

@ObjectType()
@ResponseModel({ defaultVisibility: 'authenticated' })
class Members {
  @Field(() => String, { nullable: true }) roster?: string;
}

@Resolver()
class RulesResolver {
  @Query(() => Ownable) ownable(): Ownable {
    return { id: '1' };
  }

  @Query(() => Account) account(): Account {
    return { id: '1' };
  }

  @Query(() => Plain) plain(): Plain {
    return { value: 'v' };
  }

  @Query(() => Members) members(): Members {
    return {};
  }
}

/** Two classes registered under one type name, one with rules: which rules apply is unknown. */
@ObjectType('Clash')
class ClashWithRules {
  @VisibleTo('admin') @Field(() => String, { nullable: true }) value?: string;
}

@ObjectType('Clash')
class ClashWithout {
  @Field(() => String, { nullable: true }) value?: string;
}

@Resolver()
class ClashResolver {
  @Query(() => ClashWithout, { nullable: true }) clash(): ClashWithout {
    return {};
  }
}

const principal = (id: string, roles: string[] = ['user']): SecurityPrincipal => ({
  id,
  roles,
  authMethod: 'static',
  scopes: [],
});

describe('GraphQL read rules', () => {
  let schema: GraphQLSchema;
  let compiled: ReturnType<typeof compileReadRules>;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [GraphQLSchemaBuilderModule] }).compile();
    schema = await module.get(GraphQLSchemaFactory).create([RulesResolver]);
    const projection = new ProjectionCompiler(new Reflector());
    compiled = compileReadRules(schema, new SchemaClasses(), (type) => projection.describe(type));
  });

  const rule = (type: string, field: string): FieldReadRule | undefined => compiled.rules.get(type)?.get(field);

  it('finds nothing to refuse in a well-declared schema', () => {
    expect(compiled.problems).toEqual([]);
  });

  it('lists the fields someone may be refused, and only those', () => {
    // `id` has the class default 'public': nobody is refused it, there is nothing to check.
    expect([...(compiled.rules.get('Account')?.keys() ?? [])].sort()).toEqual(['hash', 'mail', 'notes']);
    expect(rule('Card', 'id')).toBeUndefined();
    expect(compiled.rules.has('Plain')).toBe(false);
    expect(compiled.rules.has('Query')).toBe(false);
  });

  it('reads a renamed field’s rule from its property, and the class default for fields without one', () => {
    expect(rule('Account', 'mail')?.sources).toEqual([
      { rule: { kind: 'roles', roles: ['owner'] }, ownerField: 'userId', ownerMatters: true },
    ]);
    expect(rule('Members', 'roster')?.sources).toEqual([
      { rule: { kind: 'roles', roles: ['authenticated'] }, ownerField: undefined, ownerMatters: false },
    ]);
  });

  it('applies an interface’s rules and owner property to its implementations', () => {
    expect(rule('Card', 'secret')?.sources).toEqual([
      { rule: { kind: 'roles', roles: ['owner', 'admin'] }, ownerField: 'ownerId', ownerMatters: true },
    ]);
    expect(new SchemaClasses().named('object', 'Card')).toEqual([Card]);
    // A field of the implementation only, on a class without metadata: not governed.
    expect(rule('Card', 'title')).toBeUndefined();
  });

  describe('mayRead', () => {
    const email = (): FieldReadRule => rule('Account', 'mail') as FieldReadRule;
    const roles = (...names: string[]): ReadonlySet<string> => new Set(names);

    it('grants an owner field to the owner of the parent object only', () => {
      expect(mayRead(email(), { userId: 'alice' }, principal('alice'), roles('user'))).toBe(true);
      expect(mayRead(email(), { userId: 'alice' }, principal('bob'), roles('user'))).toBe(false);
      expect(mayRead(email(), { userId: 'alice' }, undefined, roles())).toBe(false);
    });

    it('never makes anyone an owner of a parent without an owner id', () => {
      expect(mayRead(email(), {}, principal('alice'), roles('user'))).toBe(false);
      expect(mayRead(email(), { userId: '' }, principal(''), roles('user'))).toBe(false);
      expect(mayRead(email(), null, principal('alice'), roles('user'))).toBe(false);
    });

    it('grants role fields by the expanded roles it is given, and @Hidden to nobody', () => {
      const notes = rule('Account', 'notes') as FieldReadRule;
      expect(mayRead(notes, {}, principal('root', ['admin']), roles('admin', 'manager', 'user'))).toBe(true);
      expect(mayRead(notes, {}, principal('bob'), roles('user'))).toBe(false);
      const hash = rule('Account', 'hash') as FieldReadRule;
      expect(mayRead(hash, { userId: 'root' }, principal('root', ['admin']), roles('admin'))).toBe(false);
    });

    it('grants an authenticated default to any principal, never to an anonymous caller', () => {
      const roster = rule('Members', 'roster') as FieldReadRule;
      expect(mayRead(roster, {}, principal('bob'), roles('user'))).toBe(true);
      expect(mayRead(roster, {}, undefined, roles())).toBe(false);
    });

    it('requires every source to grant', () => {
      const both: FieldReadRule = {
        field: 'X.y',
        sources: [
          { rule: { kind: 'roles', roles: ['admin'] }, ownerField: undefined, ownerMatters: false },
          { rule: { kind: 'roles', roles: ['owner'] }, ownerField: 'ownerId', ownerMatters: true },
        ],
      };
      expect(mayRead(both, { ownerId: 'root' }, principal('root', ['admin']), roles('admin'))).toBe(true);
      expect(mayRead(both, { ownerId: 'bob' }, principal('root', ['admin']), roles('admin'))).toBe(false);
      expect(mayRead(both, { ownerId: 'bob' }, principal('bob'), roles('user'))).toBe(false);
    });
  });

  it('answers a refused read with the stable code and no stack', () => {
    const error = fieldForbidden();
    expect(error.extensions).toEqual({ code: GraphqlFieldCode.FORBIDDEN, status: 403 });
    expect(error.message).toBe('This field is not visible to the caller.');
    expect(error.stack).toBe('');
  });
});

describe('GraphQL read rules on a type name two classes share', () => {
  it('refuses to guess which class’s rules apply', async () => {
    const module = await Test.createTestingModule({ imports: [GraphQLSchemaBuilderModule] }).compile();
    const schema = await module.get(GraphQLSchemaFactory).create([ClashResolver]);
    const projection = new ProjectionCompiler(new Reflector());
    const { problems } = compileReadRules(schema, new SchemaClasses(), (type) => projection.describe(type));
    expect(problems).toEqual([
      expect.stringMatching(/^ClashWithRules, ClashWithout are all registered as the GraphQL type Clash/),
    ]);
    expect(new SchemaClasses().named('object', 'Clash')).toEqual([ClashWithRules, ClashWithout]);
  });
});
