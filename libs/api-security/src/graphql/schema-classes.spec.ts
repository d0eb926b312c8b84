import { Test } from '@nestjs/testing';
import {
  Args,
  Field,
  GraphQLSchemaBuilderModule,
  GraphQLSchemaFactory,
  ID,
  InputType,
  InterfaceType,
  ObjectType,
  PickType,
  Query,
  Resolver,
} from '@nestjs/graphql';
import { declaredClass, SchemaClasses } from './schema-classes';

@InterfaceType()
abstract class Node {
  @Field(() => ID) id!: string;
}

@ObjectType({ implements: () => [Node] })
class Base implements Node {
  id!: string;
  @Field(() => String, { name: 'label' }) title!: string;
}

@ObjectType()
class Derived extends Base {
  @Field(() => [Base]) children!: Base[];
}

@ObjectType()
class Picked extends PickType(Base, ['title'] as const) {}

@InputType()
class ItemInput {
  @Field(() => String, { nullable: true, defaultValue: 'x' }) name?: string;
}

@Resolver()
class ClassesResolver {
  @Query(() => Derived)
  derived(@Args('item', { type: () => [ItemInput] }) _item: ItemInput[]): Derived {
    return { id: '1', title: 't', children: [] };
  }

  @Query(() => Picked)
  picked(): Picked {
    return { title: 't' };
  }
}

describe('SchemaClasses', () => {
  let classes: SchemaClasses;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [GraphQLSchemaBuilderModule] }).compile();
    // Building a schema compiles @nestjs/graphql's metadata, as the app's GraphQLModule does at boot.
    await module.get(GraphQLSchemaFactory).create([ClassesResolver]);
    classes = new SchemaClasses();
  });

  it('finds the class registered under a schema type’s name, by kind', () => {
    expect(classes.named('object', 'Derived')).toEqual([Derived]);
    expect(classes.named('interface', 'Node')).toEqual([Node]);
    expect(classes.named('input', 'ItemInput')).toEqual([ItemInput]);
    expect(classes.named('object', 'Node')).toEqual([]);
    expect(classes.named('object', 'Nope')).toEqual([]);
  });

  it('leaves the abstract classes of mapped types out of the names', () => {
    expect(classes.named('object', 'PickObjectType')).toEqual([]);
  });

  it('maps a schema field to its property through the classes a class extends, renamed fields included', () => {
    expect(classes.field(Derived, 'label')).toMatchObject({ name: 'title', schemaName: 'label' });
    expect(classes.field(Derived, 'children')?.name).toBe('children');
    expect(classes.field(Base, 'children')).toBeUndefined();
    expect(classes.field(Node, 'id')?.name).toBe('id');
  });

  it('tells a field copied by a mapped type', () => {
    const copied = classes.field(Picked, 'label');
    expect(copied?.name).toBe('title');
    expect(classes.isMapped(copied as NonNullable<typeof copied>)).toBe(true);
    expect(classes.isMapped(classes.field(Base, 'label') as NonNullable<typeof copied>)).toBe(false);
  });

  it('knows GraphQL classes only', () => {
    expect(classes.isGraphqlClass(Derived)).toBe(true);
    expect(classes.isGraphqlClass(ItemInput)).toBe(true);
    expect(classes.isGraphqlClass(String)).toBe(false);
    expect(classes.isGraphqlClass(class Unrelated {})).toBe(false);
    expect(classes.isGraphqlClass('Derived')).toBe(false);
  });

  it('reads input field options', () => {
    expect(classes.field(ItemInput, 'name')?.options?.defaultValue).toBe('x');
  });

  it('unwraps list types to their element class', () => {
    expect(declaredClass(() => [ItemInput])).toBe(ItemInput);
    expect(declaredClass(() => [[ItemInput]])).toBe(ItemInput);
    expect(declaredClass(() => String)).toBe(String);
    expect(declaredClass(undefined)).toBeUndefined();
  });
});
