import { Injectable, Scope, type INestApplication, type Provider } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  Field,
  GraphQLModule,
  ID,
  Int,
  Mutation,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  ApiSecurityModule,
  CurrentPrincipal,
  Owns,
  Public,
  Roles,
  UnauthenticatedException,
  provideOwnershipResolver,
  type Authenticator,
  type ApiSecurityModuleOptions,
  type OwnershipResolver,
  type SecurityPrincipal,
  type SecurityRequest,
} from '@api-security/nestjs';
import {
  Cost,
  formatGraphqlError,
  graphqlQueryLimits,
  GraphqlSecurityModule,
  type GraphqlSecurityOptions,
} from '@api-security/nestjs/graphql';

export type Driver = 'apollo' | 'mercurius';
export const DRIVERS: readonly Driver[] = ['apollo', 'mercurius'];

const PRINCIPALS: Readonly<Record<string, SecurityPrincipal>> = {
  'user-a': { id: 'user-a', roles: ['user'], authMethod: 'static', scopes: [] },
  'user-b': { id: 'user-b', roles: ['user'], authMethod: 'static', scopes: [] },
  admin: { id: 'admin', roles: ['admin'], authMethod: 'static', scopes: [] },
};

/** `Authorization: Bearer user-a`: a fixed principal per token, an unknown token is refused. */
@Injectable()
export class StaticAuthenticator implements Authenticator {
  readonly name = 'static';
  async authenticate(request: SecurityRequest): Promise<SecurityPrincipal | null> {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return null;
    const token = /^Bearer ([a-z-]+)$/.exec(header)?.[1];
    if (token === undefined || !Object.hasOwn(PRINCIPALS, token)) throw new UnauthenticatedException('unknown token');
    return PRINCIPALS[token];
  }
}

@ObjectType()
export class Order {
  @Field(() => ID) id!: string;
  @Field() ownerId!: string;
  @Field() secret!: string;
  @Field(() => Order, { nullable: true }) next?: Order;
}

const ORDERS: readonly Order[] = [
  { id: 'A1', ownerId: 'user-a', secret: 'alpha-secret' },
  { id: 'B1', ownerId: 'user-b', secret: 'bravo-secret' },
];

/** How many times a resolver body ran: a refused query must leave it at zero. */
export const CALLS = { count: 0 };

@Injectable()
export class OrderOwnership implements OwnershipResolver {
  async owns(principal: SecurityPrincipal, id: string): Promise<boolean> {
    return ORDERS.some((order) => order.id === id && order.ownerId === principal.id);
  }
}

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => Order, { nullable: true })
  @Owns('order', { arg: 'id' })
  order(@Args('id', { type: () => ID }) id: string): Order | undefined {
    CALLS.count++;
    const found = ORDERS.find((order) => order.id === id);
    // Self-referencing, so a client can ask for any depth.
    return found ? { ...found, next: found } : undefined;
  }

  @Query(() => String)
  @Public()
  health(): string {
    CALLS.count++;
    return 'ok';
  }

  // Nullable, so that a refused `me` does not null its siblings.
  @Query(() => String, { nullable: true })
  me(): string {
    CALLS.count++;
    return 'me';
  }

  /** A resolver failing with internals in its message: the client must see none of it. */
  @Query(() => String, { nullable: true })
  @Public()
  broken(): string {
    throw new Error('connection to postgres://admin:hunter2@db.internal failed in /app/src/orders.repository.ts:42');
  }

  /** The principal as `@CurrentPrincipal()` injects it in a resolver. */
  @Query(() => String, { nullable: true })
  whoami(@CurrentPrincipal() principal: SecurityPrincipal | undefined): string | undefined {
    return principal?.id;
  }

  /** A list whose elements each cost 3 (`@Cost`), `first` of them: priced before it runs. */
  @Query(() => [Order])
  @Cost(3)
  orders(@Args('first', { type: () => Int }) first: number): Order[] {
    CALLS.count++;
    return ORDERS.slice(0, first);
  }

  @Mutation(() => Boolean)
  @Roles('admin')
  purge(): boolean {
    CALLS.count++;
    return true;
  }
}

/** An invoice belongs to the order's owner; its field resolver checks ownership of the parent order. */
@ObjectType()
export class Invoice {
  @Field(() => ID) id!: string;
  @Field() orderId!: string;
}

@ObjectType()
export class Shipment {
  @Field(() => ID) id!: string;
  @Field() orderId!: string;
}

/** `shipment(orderId:)` hands out any order's shipment; its `invoice` field checks the parent's order. */
@Resolver(() => Shipment)
export class ShipmentResolver {
  @Query(() => Shipment)
  @Owns(false, { reason: 'shipments are tracked by anyone holding the number; the invoice field is checked' })
  shipment(@Args('orderId', { type: () => ID }) orderId: string): Shipment {
    CALLS.count++;
    return { id: `S-${orderId}`, orderId };
  }

  @ResolveField(() => Invoice)
  @Owns('order', { parent: 'orderId' })
  invoice(@Parent() shipment: Shipment): Invoice {
    CALLS.count++;
    return { id: `I-${shipment.orderId}`, orderId: shipment.orderId };
  }
}

/** Request-scoped (no instance at boot): its plan is compiled from the class all the same. */
@Resolver(() => Order)
@Injectable({ scope: Scope.REQUEST })
export class ScopedOrderResolver {
  @Query(() => Order, { nullable: true })
  @Owns('order', { arg: 'id' })
  scopedOrder(@Args('id', { type: () => ID }) id: string): Order | undefined {
    CALLS.count++;
    return ORDERS.find((order) => order.id === id);
  }
}

/** A resolver that takes an id and decides nothing about ownership: the boot audit refuses it. */
@Resolver(() => Order)
export class LeakyResolver {
  @Query(() => Order, { nullable: true })
  leakyOrder(@Args('orderId', { type: () => ID }) orderId: string): Order | undefined {
    return ORDERS.find((order) => order.id === orderId);
  }
}

/** `@Owns` on an argument the resolver does not take: nobody could ever pass, the audit refuses it. */
@Resolver(() => Order)
export class MisnamedArgResolver {
  @Query(() => Order, { nullable: true })
  @Owns('order', { arg: 'orderId' })
  misnamed(@Args('id', { type: () => ID }) id: string): Order | undefined {
    return ORDERS.find((order) => order.id === id);
  }
}

export const LIMITS = { maxDepth: 8, maxAliases: 15, maxRootFields: 20, maxCost: 500 };
export const MAX_BATCH = 5;

/** What a test changes about the app. */
export interface GraphqlAppOptions {
  readonly security?: Omit<ApiSecurityModuleOptions, 'authenticators'>;
  /** Resolvers besides the order and shipment ones. */
  readonly resolvers?: readonly Provider[];
  /** `GraphqlSecurityModule` options besides the batch limit (e.g. `costPerUnit`). */
  readonly graphqlSecurity?: Omit<GraphqlSecurityOptions, 'maxBatchedOperations'>;
}

/** A real app on the driver's platform: Apollo on Express, Mercurius on Fastify, with batching on. */
export async function createGraphqlApp(driver: Driver, options: GraphqlAppOptions = {}): Promise<INestApplication> {
  const validationRules = graphqlQueryLimits(LIMITS);
  const graphql =
    driver === 'apollo'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          validationRules,
          allowBatchedHttpRequests: true,
          // Field resolvers run the guard and its error mapping too (by default Nest applies them to queries and mutations only).
          fieldResolverEnhancers: ['guards', 'filters'],
          formatError: formatGraphqlError,
          context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
        })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
          validationRules,
          allowBatchedQueries: true,
          fieldResolverEnhancers: ['guards', 'filters'],
          // Mercurius's default query cache loads quick-lru through a dynamic import Jest's CommonJS runtime refuses.
          cache: false,
        });
  const ref = await Test.createTestingModule({
    imports: [
      ApiSecurityModule.forRoot({ ...options.security, authenticators: [StaticAuthenticator] }),
      GraphqlSecurityModule.forRoot({ ...options.graphqlSecurity, maxBatchedOperations: MAX_BATCH }),
      graphql,
    ],
    providers: [
      OrderResolver,
      ShipmentResolver,
      OrderOwnership,
      provideOwnershipResolver('order', OrderOwnership),
      ...(options.resolvers ?? []),
    ],
  }).compile();
  const app =
    driver === 'mercurius'
      ? ref.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  await app.init();
  if (driver === 'mercurius') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
