import type { INestApplication } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Field, GraphQLModule, ID, ObjectType, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import {
  ApiSecurityModule,
  JwtAuthenticator,
  Owns,
  provideOwnershipResolver,
  Roles,
  type JwtOptions,
  type SecurityStoreOptions,
} from '@api-security/nestjs';
import {
  formatGraphqlError,
  graphqlQueryLimits,
  GraphqlSecurityModule,
  GraphqlSubscriptions,
} from '@api-security/nestjs/graphql';
import { LIMITS, OrderOwnership, OrderResolver, type Driver } from './graphql.fixture';

/** An event about an order, published to every subscriber of the order's stream. */
@ObjectType()
export class OrderEvent {
  @Field(() => ID) orderId!: string;
  @Field() status!: string;
}

/** A minimal in-process event stream: each subscriber gets its own iterator. */
export class EventTopic<T> {
  private readonly listeners = new Set<(value: T) => void>();

  /** Iterators currently open: a refused subscription never opens one. */
  get subscribers(): number {
    return this.listeners.size;
  }

  publish(value: T): void {
    for (const listener of this.listeners) listener(value);
  }

  subscribe(): AsyncIterableIterator<T> {
    const queue: T[] = [];
    let waiting: ((result: IteratorResult<T>) => void) | undefined;
    let done = false;
    const listener = (value: T): void => {
      if (waiting === undefined) queue.push(value);
      else {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value, done: false });
      }
    };
    this.listeners.add(listener);
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return: () => {
        done = true;
        this.listeners.delete(listener);
        waiting?.({ value: undefined, done: true });
        waiting = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

/** What the resolvers publish: the payload carries the event under each subscription's field name. */
export interface OrderEventPayload {
  readonly orderEvents: OrderEvent;
  readonly allOrderEvents: OrderEvent;
}

export const EVENTS = new EventTopic<OrderEventPayload>();
/** How many times a subscription resolver ran: a refused subscription must leave it unchanged. */
export const SUBSCRIBED = { count: 0 };

export function publish(orderId: string, status: string): void {
  const event = { orderId, status };
  EVENTS.publish({ orderEvents: event, allOrderEvents: event });
}

@Resolver(() => OrderEvent)
export class OrderEventsResolver {
  /** The events of one order: its owner only. */
  @Subscription(() => OrderEvent, {
    filter: (payload: OrderEventPayload, variables: { id: string }) => payload.orderEvents.orderId === variables.id,
  })
  @Owns('order', { arg: 'id' })
  orderEvents(@Args('id', { type: () => ID }) _id: string): AsyncIterableIterator<OrderEventPayload> {
    SUBSCRIBED.count++;
    return EVENTS.subscribe();
  }

  /** Every order's events: administrators only. */
  @Subscription(() => OrderEvent)
  @Roles('admin')
  allOrderEvents(): AsyncIterableIterator<OrderEventPayload> {
    SUBSCRIBED.count++;
    return EVENTS.subscribe();
  }
}

/** What a test changes about the app. */
export interface SubscriptionAppOptions {
  readonly jwt: JwtOptions;
  readonly store?: SecurityStoreOptions;
  /** The rate-limit tier, e.g. `'10/60s'`. @default '1000/60s' */
  readonly limit?: string;
}

/** A running app (listening on a local port, for WebSocket clients) and its subscription URL. */
export interface SubscriptionApp {
  readonly app: INestApplication;
  readonly url: string;
}

/**
 * A real app authenticating bearer JWTs, with subscriptions over WebSocket: Apollo's graphql-ws
 * server on Express, or Mercurius's on Fastify, both configured by `GraphqlSubscriptions`.
 */
export async function createSubscriptionApp(driver: Driver, options: SubscriptionAppOptions): Promise<SubscriptionApp> {
  const validationRules = graphqlQueryLimits(LIMITS);
  const graphql =
    driver === 'apollo'
      ? GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [GraphqlSubscriptions],
          useFactory: (subscriptions: GraphqlSubscriptions) => ({
            autoSchemaFile: true,
            validationRules,
            fieldResolverEnhancers: ['guards', 'filters'],
            formatError: formatGraphqlError,
            ...subscriptions.graphqlWs(),
          }),
        })
      : GraphQLModule.forRootAsync<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          inject: [GraphqlSubscriptions],
          useFactory: (subscriptions: GraphqlSubscriptions) => ({
            autoSchemaFile: true,
            validationRules,
            fieldResolverEnhancers: ['guards', 'filters'],
            cache: false,
            ...subscriptions.mercurius({ validationRules }),
          }),
        });
  const ref = await Test.createTestingModule({
    imports: [
      ApiSecurityModule.forRoot({
        jwt: options.jwt,
        store: options.store ?? { type: 'memory' },
        rateLimit: { tiers: { default: options.limit ?? '1000/60s' } },
        authenticators: [JwtAuthenticator],
      }),
      GraphqlSecurityModule.forRoot({ costPerUnit: 1 }),
      graphql,
    ],
    providers: [OrderResolver, OrderEventsResolver, OrderOwnership, provideOwnershipResolver('order', OrderOwnership)],
  }).compile();
  const app =
    driver === 'mercurius'
      ? ref.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `ws://127.0.0.1:${port}/graphql` };
}

/** What one subscription saw, once it ended or a test stopped waiting. */
export interface SubscriptionOutcome {
  /** The events received (`data` of each `next`). */
  readonly data: unknown[];
  /** The `extensions.code` of every GraphQL error received, from `next` or `error`. */
  readonly codes: unknown[];
  /** The `extensions.retryAfter` of the errors that carry one. */
  readonly retryAfter: unknown[];
  /** The close code when the connection was closed on the client (refused at `connection_init`). */
  closeCode?: number;
  /**
   * Whether the connection failed rather than the subscription: closed, or (Mercurius refusing a
   * `connection_init`) answered with a message graphql-ws clients do not know.
   */
  connectionFailed: boolean;
  /** Whether the server acknowledged the connection. */
  acknowledged: boolean;
  /** Resolves when the subscription completes or fails. */
  readonly ended: Promise<void>;
}

/** A graphql-ws client on `url`; `headers` go on the upgrade request, `params` in `connection_init`. */
export function wsClient(url: string, params?: Record<string, unknown>, headers?: Record<string, string>): Client {
  class HeaderedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, headers ? { headers } : {});
    }
  }
  return createClient({
    url,
    webSocketImpl: HeaderedWebSocket,
    ...(params ? { connectionParams: params } : {}),
    retryAttempts: 0,
    lazy: true,
  });
}

/** Subscribes and records what comes back; `outcome.ended` settles on complete, error or close. */
export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}): SubscriptionOutcome {
  const data: unknown[] = [];
  const codes: unknown[] = [];
  const retryAfter: unknown[] = [];
  const record = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined): void => {
    for (const error of errors ?? []) {
      codes.push(error.extensions?.code);
      if (error.extensions?.retryAfter !== undefined) retryAfter.push(error.extensions.retryAfter);
    }
  };
  const state: Omit<SubscriptionOutcome, 'ended'> = {
    data,
    codes,
    retryAfter,
    acknowledged: false,
    connectionFailed: false,
  };
  const ended = new Promise<void>((resolve) => {
    const off = client.on('connected', () => {
      state.acknowledged = true;
    });
    client.subscribe<unknown>(
      { query, variables },
      {
        next: (value) => {
          if (value.data !== undefined && value.data !== null) data.push(value.data);
          record(value.errors as { extensions?: Record<string, unknown> }[] | undefined);
        },
        error: (error: unknown) => {
          if (Array.isArray(error)) record(error as { extensions?: Record<string, unknown> }[]);
          else {
            state.connectionFailed = true;
            const code = (error as { code?: unknown }).code;
            if (typeof code === 'number') state.closeCode = code;
          }
          off();
          resolve();
        },
        complete: () => {
          off();
          resolve();
        },
      },
    );
  });
  return Object.assign(state, { ended });
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
