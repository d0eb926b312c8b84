import { Test } from '@nestjs/testing';
import {
  Args,
  ArgsType,
  Field,
  GraphQLSchemaBuilderModule,
  GraphQLSchemaFactory,
  ID,
  InputType,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import type { ClassType } from '../common/class-type';
import { resolverOf } from '../pipeline/graphql-resolvers';
import { VisibleTo } from '../properties/visible-to.decorator';
import { WritableBy } from '../properties/writable-by.decorator';
import { findForbiddenWrites } from '../properties/write-policy';
import { WritePolicyCompiler } from '../properties/write-policy.compiler';
import { compileWriteRules, type ResolverMethod } from './input-write.rules';
import { SchemaClasses } from './schema-classes';

@InputType()
class LineInput {
  @Field(() => String, { nullable: true }) sku?: string;
  @WritableBy('admin') @Field(() => Number, { name: 'unitPrice', nullable: true }) price?: number;
}

@InputType()
class OrderInput {
  @Field(() => String, { nullable: true }) note?: string;
  /** Nested by the GraphQL declaration only (no class-transformer `@Type`). */
  @Field(() => [LineInput], { nullable: true }) lines?: LineInput[];
}

@InputType()
class FreeInput {
  @Field(() => String, { nullable: true }) note?: string;
}

@ArgsType()
class FlagArgs {
  @WritableBy('admin') @Field(() => Boolean, { nullable: true }) pinned?: boolean;
}

@InputType()
class DefaultedInput {
  @WritableBy('admin') @Field(() => String, { nullable: true, defaultValue: 'low' }) priority?: string;
}

@InputType()
class ReadRuleInput {
  @VisibleTo('admin') @Field(() => String, { nullable: true }) secret?: string;
}

@ObjectType()
class Item {
  @Field(() => ID) id!: string;
}

@Resolver(() => Item)
class WriteResolver {
  @Query(() => Item) item(): Item {
    return { id: '1' };
  }

  @Mutation(() => Boolean) order(@Args('input') _input: OrderInput): boolean {
    return true;
  }

  @Mutation(() => Boolean) orders(@Args('inputs', { type: () => [OrderInput] }) _inputs: OrderInput[]): boolean {
    return true;
  }

  @Mutation(() => Boolean) free(@Args('input') _input: FreeInput, @Args('n') _n: string): boolean {
    return true;
  }

  @Mutation(() => Boolean) flag(@Args() _args: FlagArgs): boolean {
    return true;
  }

  @Mutation(() => Boolean) defaulted(@Args('input') _input: DefaultedInput): boolean {
    return true;
  }

  @Mutation(() => Boolean) readRule(@Args('input') _input: ReadRuleInput): boolean {
    return true;
  }

  @ResolveField(() => String) priced(@Parent() _item: Item, @Args('line') _line: LineInput): string {
    return '';
  }
}

function methods(): ResolverMethod[] {
  const prototype = WriteResolver.prototype as unknown as Record<string, object>;
  return ['order', 'orders', 'free', 'flag', 'defaulted', 'readRule', 'priced'].map((name) => ({
    resolverClass: WriteResolver as ClassType,
    name,
    handler: prototype[name] as object,
    plan: resolverOf(WriteResolver, prototype[name] as object, name) as ResolverMethod['plan'],
  }));
}

describe('GraphQL input write rules', () => {
  let compiled: ReturnType<typeof compileWriteRules>;
  const handler = (name: string): object =>
    (WriteResolver.prototype as unknown as Record<string, object>)[name] as object;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [GraphQLSchemaBuilderModule] }).compile();
    await module.get(GraphQLSchemaFactory).create([WriteResolver]);
    compiled = compileWriteRules(methods(), new SchemaClasses(), new WritePolicyCompiler(), ['guards']);
  });

  it('binds restricted inputs to their argument, nested lists found from the GraphQL declaration', () => {
    const rule = compiled.rules.get(handler('order'));
    expect(rule?.route).toBe('MUTATION Mutation.order');
    expect(rule?.bindings.map((b) => b.property)).toEqual(['input']);
    const policy = rule?.bindings[0]?.policy;
    const roles = new Set(['user']);
    // Keyed by the property name: @nestjs/graphql maps `unitPrice` back to `price` before interceptors run.
    expect(findForbiddenWrites({ lines: [{ sku: 'a' }, { price: 1 }] }, policy!, roles)).toEqual(['lines[1].price']);
    expect(findForbiddenWrites({ lines: [{ price: 1 }] }, policy!, new Set(['admin']))).toEqual([]);
  });

  it('binds a list argument and an @ArgsType object whole', () => {
    expect(compiled.rules.get(handler('orders'))?.bindings.map((b) => b.property)).toEqual(['inputs']);
    const flag = compiled.rules.get(handler('flag'));
    expect(flag?.bindings.map((b) => b.property)).toEqual([undefined]);
    expect(findForbiddenWrites({ pinned: false }, flag!.bindings[0]!.policy, new Set())).toEqual(['pinned']);
  });

  it('leaves resolvers without restricted input out', () => {
    expect(compiled.rules.has(handler('free'))).toBe(false);
  });

  it('refuses a restricted field with a default value, a read rule on an input, and an unintercepted field resolver', () => {
    expect(compiled.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DefaultedInput\.priority is @WritableBy\('admin'\) and has a defaultValue/),
        expect.stringMatching(/^ReadRuleInput is a GraphQL input with @VisibleTo\/@Hidden/),
        expect.stringMatching(/^FIELD Item\.priced takes input with @WritableBy fields/),
      ]),
    );
    expect(compiled.problems).toHaveLength(3);
  });

  it('accepts a restricted field resolver input when interceptors run for field resolvers', () => {
    const again = compileWriteRules(methods(), new SchemaClasses(), new WritePolicyCompiler(), ['interceptors']);
    expect(again.problems.some((p) => p.includes('FIELD Item.priced'))).toBe(false);
    expect(again.rules.get(handler('priced'))?.route).toBe('FIELD Item.priced');
  });
});
