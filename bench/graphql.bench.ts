/**
 * GraphQL protection cost, per query, next to graphql-armor with equivalent limits. Two parts, in
 * one run, on the same schema (the Nest code-first one below) and the same two queries (a typical
 * one and a large one, both accepted by every configuration):
 *
 * 1. Validation: `parse` + `validate` with graphql-js's rules alone (the floor), plus the library's
 *    `graphqlQueryLimits`, or plus graphql-armor's rules (depth, aliases, cost, directives) and its
 *    token-counting parser. The document is parsed afresh each time, as for a request no cache
 *    holds, so nothing is remembered between iterations. Reported: CPU µs per query and what each
 *    adds over the floor.
 * 2. Validation + authorization: the whole request through a Nest app on Mercurius/Fastify
 *    (`inject`, no socket), query cache off so every request is validated. Three apps with the same
 *    resolvers: no protection; graphql-armor's rules; the library (`ApiSecurityModule` with a bearer
 *    authenticator, `@Owns` on every `order(id:)`, `@VisibleTo` field visibility, `GraphqlSecurityModule`
 *    and `graphqlQueryLimits`; rate limit off, which is measured by `npm run bench`). Reported: CPU µs
 *    per request and what each adds over the unprotected app.
 *
 * Samples of the configurations are interleaved round by round (the order rotating) so machine drift
 * hits them alike; medians are reported. Writes bench/graphql-results.json and .md.
 *
 *   npm run bench:graphql   (BENCH_ROUNDS, default 15)
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type DynamicModule } from '@nestjs/common';
import {
  Args,
  Field,
  GraphQLModule,
  GraphQLSchemaHost,
  ID,
  Int,
  ObjectType,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { NoopGuard, NoopInterceptor } from './servers/noop-enhancers';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import {
  Lexer,
  parse,
  Source,
  specifiedRules,
  TokenKind,
  validate,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import {
  ApiSecurityModule,
  OwnedBy,
  Owns,
  provideOwnershipResolver,
  UnauthenticatedException,
  VisibleTo,
  type Authenticator,
  type OwnershipResolver,
  type SecurityPrincipal,
  type SecurityRequest,
} from '@api-security/nestjs';
import { graphqlQueryLimits, GraphqlSecurityModule } from '@api-security/nestjs/graphql';

// ---------------------------------------------------------------------------------------------
// The schema and its resolvers (in memory): a shop, as the sample app's.

@ObjectType()
class Product {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('public') @Field() name!: string;
  @VisibleTo('public') @Field(() => Int) price!: number;
}

@ObjectType()
class Item {
  @VisibleTo('public') @Field() sku!: string;
  @VisibleTo('public') @Field(() => Int) quantity!: number;
  @VisibleTo('public') @Field(() => Product) product!: Product;
}

@ObjectType()
class Order {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('public') @Field() status!: string;
  @VisibleTo('public') @Field(() => Int) total!: number;
  @VisibleTo('public') @Field(() => [Item]) items!: Item[];
}

@ObjectType()
@OwnedBy('id')
class User {
  @VisibleTo('owner', 'admin') @Field(() => ID, { nullable: true }) id!: string;
  @VisibleTo('owner', 'admin') @Field(() => String, { nullable: true }) name!: string;
  @VisibleTo('owner', 'admin') @Field(() => String, { nullable: true }) email!: string;
  @VisibleTo('owner', 'admin') @Field(() => [Order], { nullable: true }) orders?: Order[];
}

const OWNER = 'u1';
const product = (n: number): Product => ({ id: `p${n}`, name: `Product ${n}`, price: 100 + n });
const ORDERS: ReadonlyMap<string, Order> = new Map(
  Array.from({ length: 10 }, (_, i) => [
    `o${i + 1}`,
    {
      id: `o${i + 1}`,
      status: 'paid',
      total: 1000 + i,
      items: [0, 1, 2].map((n) => ({ sku: `SKU-${i}-${n}`, quantity: n + 1, product: product(n) })),
    },
  ]),
);

@Resolver(() => User)
class ShopResolver {
  @Query(() => User, { nullable: true })
  me(): User {
    return { id: OWNER, name: 'Alice', email: 'alice@example.com' };
  }

  @Query(() => Order, { nullable: true })
  @Owns('order', { arg: 'id' })
  order(@Args('id', { type: () => ID }) id: string): Order | undefined {
    return ORDERS.get(id);
  }

  @Query(() => [Product])
  products(@Args('first', { type: () => Int }) first: number): Product[] {
    return Array.from({ length: Math.min(first, 50) }, (_, n) => product(n));
  }

  @ResolveField(() => [Order], { nullable: true })
  orders(@Parent() user: User, @Args('first', { type: () => Int }) first: number): Order[] {
    return user.id === OWNER ? [...ORDERS.values()].slice(0, first) : [];
  }
}

/** `Authorization: Bearer u1`: one fixed principal, anything else refused. */
@Injectable()
class BenchAuthenticator implements Authenticator {
  readonly name = 'bench';
  private readonly principal: SecurityPrincipal = { id: OWNER, roles: ['user'], authMethod: 'bench', scopes: [] };
  async authenticate(request: SecurityRequest): Promise<SecurityPrincipal | null> {
    if (request.headers.authorization === `Bearer ${OWNER}`) return this.principal;
    if (request.headers.authorization === undefined) return null;
    throw new UnauthenticatedException('unknown token');
  }
}

/** Every order belongs to u1: an in-memory lookup, so the figures show the library, not a database. */
@Injectable()
class OrderOwnership implements OwnershipResolver {
  async owns(principal: SecurityPrincipal, id: string): Promise<boolean> {
    return principal.id === OWNER && ORDERS.has(id);
  }
}

// ---------------------------------------------------------------------------------------------
// The queries and the limits.

const TYPICAL = `query Typical {
  me { id name }
  order(id: "o1") { id status total items { sku quantity } }
}`;

const LARGE = `query Large {
  me { ...UserFields orders(first: 5) { ...OrderFields } }
  ${Array.from({ length: 8 }, (_, i) => `o${i + 1}: order(id: "o${i + 1}") { ...OrderFields }`).join('\n  ')}
  products(first: 20) { id name price }
}
fragment UserFields on User { id name email }
fragment OrderFields on Order { id status total items { sku quantity product { id name price } } }`;

const QUERIES = { typical: TYPICAL, large: LARGE } as const;
type QueryName = keyof typeof QUERIES;

/** The same limits on both sides; the costs are set so that both accept both queries. */
const LIMITS = { maxDepth: 8, maxAliases: 15, maxTokens: 1000, maxCost: 5000 };

const libraryRules = (): ValidationRule[] =>
  graphqlQueryLimits({
    maxDepth: LIMITS.maxDepth,
    maxAliases: LIMITS.maxAliases,
    maxTokens: LIMITS.maxTokens,
    maxCost: LIMITS.maxCost,
  });

const armorRules = (): ValidationRule[] =>
  [
    maxDepthRule({ n: LIMITS.maxDepth, flattenFragments: true, exposeLimits: false }),
    maxAliasesRule({ n: LIMITS.maxAliases, exposeLimits: false }),
    costLimitRule({ maxCost: LIMITS.maxCost, exposeLimits: false }),
    maxDirectivesRule({ n: 50, exposeLimits: false }),
  ] as ValidationRule[];

// ---------------------------------------------------------------------------------------------
// Measurement.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** CPU µs (user + system) per call of `fn`, over at least `minMs` of wall time. */
async function cpuPerCall(fn: () => unknown, minMs: number): Promise<number> {
  let calls = 0;
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  do {
    const result = fn();
    if (result instanceof Promise) await result;
    calls++;
  } while (Number(process.hrtime.bigint() - start) / 1e6 < minMs);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / calls;
}

/** Each configuration sampled once per round, the order rotating; the median of each. */
async function interleaved(configs: Record<string, () => unknown>, minMs: number): Promise<Record<string, number>> {
  const names = Object.keys(configs);
  for (const name of names) await cpuPerCall(configs[name] as () => unknown, minMs); // warm-up
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] as string;
      samples[name]?.push(await cpuPerCall(configs[name] as () => unknown, minMs));
    }
  }
  return Object.fromEntries(names.map((name) => [name, round2(median(samples[name] ?? []))]));
}

function validationOf(schema: GraphQLSchema, query: string): Record<string, () => unknown> {
  const floor = [...specifiedRules];
  const library = [...specifiedRules, ...libraryRules()];
  const armor = [...specifiedRules, ...armorRules()];
  const check = (errors: readonly unknown[]): void => {
    if (errors.length > 0) throw new Error(`a configuration refused the query: ${JSON.stringify(errors)}`);
  };
  const configs = {
    graphqlJs: () => check(validate(schema, parse(query), floor)),
    library: () => check(validate(schema, parse(query), library)),
    graphqlArmor: () =>
      check(validate(schema, new MaxTokensParserWLexer(query, { n: LIMITS.maxTokens }).parseDocument(), armor)),
  };
  for (const run of Object.values(configs)) run(); // each accepts the query
  return configs;
}

@Module({})
class BenchAppModule {}

/**
 * `none`: no protection; `floor`: a no-op global guard and interceptor (what Nest itself costs a
 * guarded schema, as *floor* in `npm run bench`); `armor`: graphql-armor's rules; `library`.
 */
async function mercuriusApp(kind: 'none' | 'floor' | 'armor' | 'library'): Promise<NestFastifyApplication> {
  const graphql = GraphQLModule.forRoot<MercuriusDriverConfig>({
    driver: MercuriusDriver,
    autoSchemaFile: true,
    // Every request is parsed and validated: the cost measured is the cost of a document no cache holds.
    cache: false,
    fieldResolverEnhancers: ['guards', 'filters'],
    ...(kind === 'armor' ? { validationRules: armorRules() } : {}),
    ...(kind === 'library' ? { validationRules: libraryRules() } : {}),
  });
  const imports: DynamicModule[] =
    kind === 'library'
      ? [
          ApiSecurityModule.forRoot({ authenticators: [BenchAuthenticator], rateLimit: { enabled: false } }),
          GraphqlSecurityModule.forRoot({ maxBatchedOperations: 5 }),
          graphql,
        ]
      : [graphql];
  const module: DynamicModule = {
    module: BenchAppModule,
    imports,
    providers: [
      ShopResolver,
      ...(kind === 'library' ? [OrderOwnership, provideOwnershipResolver('order', OrderOwnership)] : []),
      ...(kind === 'floor'
        ? [
            { provide: APP_GUARD, useClass: NoopGuard },
            { provide: APP_INTERCEPTOR, useClass: NoopInterceptor },
          ]
        : []),
    ],
  };
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

function requestOf(app: NestFastifyApplication, query: string): () => Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const payload = JSON.stringify({ query });
  return async () => {
    const res = await fastify.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OWNER}` },
      payload,
    });
    if (res.statusCode !== 200 || res.body.includes('"errors"')) throw new Error(`request failed: ${res.body}`);
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const apps = {
    none: await mercuriusApp('none'),
    floor: await mercuriusApp('floor'),
    graphqlArmor: await mercuriusApp('armor'),
    library: await mercuriusApp('library'),
  };
  const schema = apps.library.get(GraphQLSchemaHost).schema;

  const validation: Record<string, unknown> = {};
  const request: Record<string, unknown> = {};
  for (const name of Object.keys(QUERIES) as QueryName[]) {
    const query = QUERIES[name];
    const v = await interleaved(validationOf(schema, query), 300);
    validation[name] = {
      tokens: tokenCount(query),
      cpuMicrosPerQuery: v,
      addedOverGraphqlJs: {
        library: round2(v.library - v.graphqlJs),
        graphqlArmor: round2(v.graphqlArmor - v.graphqlJs),
      },
    };
    const configs = Object.fromEntries(Object.entries(apps).map(([k, app]) => [k, requestOf(app, query)]));
    for (const run of Object.values(configs)) await run(); // each answers without errors
    const r = await interleaved(configs, 250);
    request[name] = {
      cpuMicrosPerRequest: r,
      addedOverUnprotected: { library: round2(r.library - r.none), graphqlArmor: round2(r.graphqlArmor - r.none) },
      libraryOverFloor: round2(r.library - r.floor),
    };
  }
  for (const app of Object.values(apps)) await app.close();

  const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version };
  const results = {
    date: new Date().toISOString(),
    machine,
    rounds: ROUNDS,
    limits: LIMITS,
    validation,
    request,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  const dir = join(__dirname, '..', '..', 'bench');
  writeFileSync(join(dir, 'graphql-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'graphql-results.md'), markdown(results));
  console.log(markdown(results));
}

/** Lexical tokens of the document (punctuators, names, values), as the `maxTokens` limits count them. */
function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

interface Figures {
  machine: { cpu: string; cores: number; node: string };
  rounds: number;
  validation: Record<string, unknown>;
  request: Record<string, unknown>;
  date: string;
}

function markdown(results: Figures): string {
  const v = results.validation as Record<
    QueryName,
    { tokens: number; cpuMicrosPerQuery: Record<string, number>; addedOverGraphqlJs: Record<string, number> }
  >;
  const r = results.request as Record<
    QueryName,
    {
      cpuMicrosPerRequest: Record<string, number>;
      addedOverUnprotected: Record<string, number>;
      libraryOverFloor: number;
    }
  >;
  const names = Object.keys(QUERIES) as QueryName[];
  return [
    '# GraphQL protection cost',
    '',
    `${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}; ${results.rounds} interleaved rounds, medians of CPU time (user + system); ${results.date}. \`npm run bench:graphql\`.`,
    '',
    '## Validation (parse + validate), µs per query',
    '',
    '| query | tokens | graphql-js rules alone | + library limits | + graphql-armor | library adds | graphql-armor adds |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...names.map((name) => {
      const x = v[name];
      return `| ${name} | ${x.tokens} | ${x.cpuMicrosPerQuery.graphqlJs} | ${x.cpuMicrosPerQuery.library} | ${x.cpuMicrosPerQuery.graphqlArmor} | ${x.addedOverGraphqlJs.library} | ${x.addedOverGraphqlJs.graphqlArmor} |`;
    }),
    '',
    '## Validation + authorization, whole request (Nest, Mercurius, `inject`), µs per request',
    '',
    '*floor*: no protection, but a no-op global guard and interceptor, which is what Nest itself costs a guarded schema.',
    '',
    '| query | unprotected | floor | graphql-armor (limits only) | library (limits + authentication + `@Owns` + field visibility) | graphql-armor adds | library adds | library over floor |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...names.map((name) => {
      const x = r[name];
      return `| ${name} | ${x.cpuMicrosPerRequest.none} | ${x.cpuMicrosPerRequest.floor} | ${x.cpuMicrosPerRequest.graphqlArmor} | ${x.cpuMicrosPerRequest.library} | ${x.addedOverUnprotected.graphqlArmor} | ${x.addedOverUnprotected.library} | ${x.libraryOverFloor} |`;
    }),
    '',
  ].join('\n');
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
