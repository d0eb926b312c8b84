import type { DiscoveryService, HttpAdapterHost, MetadataScanner, ModuleRef, ModulesContainer } from '@nestjs/core';
import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  Field,
  GraphQLSchemaBuilderModule,
  GraphQLSchemaFactory,
  GraphQLSchemaHost,
  ID,
  ObjectType,
  Query,
  Resolver,
} from '@nestjs/graphql';
import { graphql, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { PrincipalRoles } from '../authorization/principal-roles';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { PRINCIPAL_KEY } from '../common/security-principal';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { OwnedBy } from '../properties/owned-by.decorator';
import { ProjectionCompiler } from '../properties/projection.compiler';
import { VisibleTo } from '../properties/visible-to.decorator';
import { WritePolicyCompiler } from '../properties/write-policy.compiler';
import { GraphqlFieldSecurity } from './field-security.installer';
import { GraphqlFieldCode } from './field-visibility.rules';

@ObjectType()
@OwnedBy('ownerId')
class Wallet {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('owner') @Field(() => String, { nullable: true }) balance?: string;
}

@Resolver()
class WalletResolver {
  @Query(() => Wallet) wallet(): Wallet {
    return { id: 'w' };
  }
}

async function buildSchema(): Promise<GraphQLSchema> {
  const module = await Test.createTestingModule({ imports: [GraphQLSchemaBuilderModule] }).compile();
  const schema = await module.get(GraphQLSchemaFactory).create([WalletResolver]);
  let reads = 0;
  // The factory builds no resolvers: stand in for the app's.
  schema.getQueryType()!.getFields().wallet!.resolve = () => ({
    id: 'w1',
    ownerId: 'alice',
    get balance() {
      reads++;
      return '42';
    },
  });
  Object.defineProperty(schema, 'reads', { get: () => reads });
  return schema;
}

function installer(schemas: GraphQLSchema[], core = true): GraphqlFieldSecurity {
  const provided = new Map<unknown, unknown>([
    [ProjectionCompiler, new ProjectionCompiler(new Reflector())],
    [WritePolicyCompiler, new WritePolicyCompiler()],
    [PrincipalRoles, new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } })],
  ]);
  const moduleRef = {
    get: (token: unknown) => {
      if (core && provided.has(token)) return provided.get(token);
      throw new Error('unknown');
    },
  } as unknown as ModuleRef;
  const modules = new Map(
    schemas.map((schema, i) => {
      const host = new GraphQLSchemaHost();
      host.schema = schema;
      return [`m${i}`, { providers: new Map([[GraphQLSchemaHost, { instance: host }]]) }];
    }),
  ) as unknown as ModulesContainer;
  const discovery = { getProviders: () => [] } as unknown as DiscoveryService;
  const adapterHost = { httpAdapter: { getType: () => 'express' } } as unknown as HttpAdapterHost;
  return new GraphqlFieldSecurity(moduleRef, modules, discovery, {} as MetadataScanner, adapterHost);
}

const asUser = (id: string): object => ({
  req: { [PRINCIPAL_KEY]: { id, roles: ['user'], authMethod: 'static', scopes: [] } },
});

describe('GraphqlFieldSecurity', () => {
  it('wraps the governed fields of every schema so that a refused one is null, never read', async () => {
    const schema = await buildSchema();
    installer([schema]).onApplicationBootstrap();
    const mine = await graphql({ schema, source: '{ wallet { id balance } }', contextValue: asUser('alice') });
    expect(mine).toEqual({ data: { wallet: { id: 'w1', balance: '42' } } });
    const theirs = await graphql({ schema, source: '{ wallet { id b: balance } }', contextValue: asUser('bob') });
    expect(theirs.data).toEqual({ wallet: { id: 'w1', b: null } });
    expect(theirs.errors?.map((e) => e.extensions)).toEqual([{ code: GraphqlFieldCode.FORBIDDEN, status: 403 }]);
    const anonymous = await graphql({ schema, source: '{ wallet { balance } }', contextValue: {} });
    expect(anonymous.data).toEqual({ wallet: { balance: null } });
    expect((schema as unknown as { reads: number }).reads).toBe(1);
  });

  it('wraps a field once however often the schema is seen', async () => {
    const schema = await buildSchema();
    const balance = (): unknown => (schema.getType('Wallet') as GraphQLObjectType).getFields().balance?.resolve;
    const security = installer([schema, schema]);
    security.onApplicationBootstrap();
    const wrapped = balance();
    security.onApplicationBootstrap();
    expect(balance()).toBe(wrapped);
    const theirs = await graphql({ schema, source: '{ wallet { balance } }', contextValue: asUser('bob') });
    expect(theirs.errors).toHaveLength(1);
  });

  it('leaves fields nobody may be refused as they were', async () => {
    const schema = await buildSchema();
    const wallet = (): Record<string, { resolve?: unknown }> =>
      (schema.getType('Wallet') as GraphQLObjectType).getFields();
    const before = { root: schema.getQueryType()!.getFields().wallet!.resolve, id: wallet().id?.resolve };
    installer([schema]).onApplicationBootstrap();
    expect(schema.getQueryType()!.getFields().wallet!.resolve).toBe(before.root);
    // `id` is visible to 'public': no check to run.
    expect(wallet().id?.resolve).toBe(before.id);
    expect(wallet().balance?.resolve).not.toBeUndefined();
  });

  it('does nothing without a schema, and needs ApiSecurityModule when there is one', async () => {
    expect(() => installer([]).onApplicationBootstrap()).not.toThrow();
    const schema = await buildSchema();
    expect(() => installer([schema], false).onApplicationBootstrap()).toThrow(ApiSecurityConfigError);
  });
});
