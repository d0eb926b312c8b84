import type { INestApplication } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Field, GraphQLModule, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { ApiSecurityModule, provideOwnershipResolver } from '@api-security/nestjs';
import { formatGraphqlError, graphqlQueryLimits, GraphqlSecurityModule } from '@api-security/nestjs/graphql';
import {
  assertGraphqlBombsRefused,
  checkGraphqlExposure,
  graphqlBombs,
  probeGraphqlBola,
  probeGraphqlBombs,
  type GraphqlBolaQuery,
} from '@api-security/nestjs/testing/graphql';
import {
  CALLS,
  createGraphqlApp,
  DRIVERS,
  LIMITS,
  OrderOwnership,
  OrderResolver,
  ShipmentResolver,
  StaticAuthenticator,
} from './graphql.fixture';

const A = { Authorization: 'Bearer user-a' };
const B = { Authorization: 'Bearer user-b' };

@ObjectType()
class Receipt {
  @Field() ref!: string;
  @Field() ownerId!: string;
  @Field() total!: string;
}

/**
 * The negative control: a lookup by a reference the boot audit does not take for an id, with no
 * ownership decision. Anyone authenticated reads A's receipt: the BOLA prober must report it.
 */
@Resolver(() => Receipt)
class UnguardedReceiptResolver {
  @Query(() => Receipt, { nullable: true })
  receipt(@Args('ref') ref: string): Receipt | undefined {
    return ref === 'R-A1' ? { ref, ownerId: 'user-a', total: 'receipt-total-4242' } : undefined;
  }
}

/** A's order by argument, through an alias of its own, and A's invoice through a public shipment. */
const PROTECTED_QUERIES: readonly GraphqlBolaQuery[] = [
  { name: 'order by id', query: '{ order(id: "A1") { id ownerId secret next { secret } } }' },
  { name: 'order by variable', query: 'query ($id: ID!) { mine: order(id: $id) { secret } }', variables: { id: 'A1' } },
  {
    name: 'invoice under a public shipment',
    query: '{ shipment(orderId: "A1") { id orderId invoice { id orderId } } }',
    publicPaths: ['shipment.id', 'shipment.orderId'],
  },
];

describe.each(DRIVERS)('GraphQL test kit against the library (%s)', (driver) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createGraphqlApp(driver, { resolvers: [UnguardedReceiptResolver] });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    CALLS.count = 0;
  });

  describe('probeGraphqlBola', () => {
    it('finds no foreign data where @Owns guards the argument and the parent, in every variant', async () => {
      const report = await probeGraphqlBola(app, { owner: A, other: B, queries: PROTECTED_QUERIES });
      expect(report.findings).toEqual([]);
      expect(report.skipped).toEqual([]);
      expect(report.probed).toHaveLength(PROTECTED_QUERIES.length * 3);
    });

    it('reports the foreign data an unguarded resolver hands B (negative control)', async () => {
      const report = await probeGraphqlBola(app, {
        owner: A,
        other: B,
        queries: [{ name: 'receipt by ref', query: '{ receipt(ref: "R-A1") { ref ownerId total } }' }],
      });
      const paths = new Set(report.findings.map((finding) => finding.path).filter(Boolean));
      expect(paths).toEqual(new Set(['receipt.ref', 'receipt.ownerId', 'receipt.total']));
      expect(new Set(report.findings.map((finding) => finding.variant))).toEqual(
        new Set(['direct', 'aliases', 'batch']),
      );
      expect(report.findings.some((finding) => finding.message.includes("one of A's values"))).toBe(true);
    });

    it('reports a control read that returns nothing (a wrong id proves nothing)', async () => {
      const report = await probeGraphqlBola(app, {
        owner: A,
        other: B,
        queries: [{ name: 'missing order', query: '{ order(id: "Z9") { id } }' }],
      });
      expect(report.findings).toEqual([expect.objectContaining({ variant: 'control', as: 'owner' })]);
    });
  });

  describe('graphql bombs', () => {
    it('are all refused with a code before any resolver runs (the app’s own fields)', async () => {
      const bombs = graphqlBombs({
        nesting: { open: ['order(id: "A1")'], cycle: ['next'], leaf: 'id' },
        aliasedField: 'health',
        batchedQuery: '{ health }',
      });
      const report = await assertGraphqlBombsRefused(app, { headers: A, bombs, resolverCalls: () => CALLS.count });
      expect(report.results.map((result) => [result.kind, result.refused, result.resolverCalls])).toEqual([
        ['depth', true, 0],
        ['aliases', true, 0],
        ['batch', true, 0],
      ]);
      expect(report.results[0].codes).toContain('ERR_GRAPHQL_DEPTH');
      expect(report.results[2].codes).toEqual(['ERR_GRAPHQL_BATCH']);
    });

    it('are refused with the default (introspection) bombs too', async () => {
      const report = await probeGraphqlBombs(app, { resolverCalls: () => CALLS.count });
      expect(report.findings).toEqual([]);
    });

    it('reports bombs under the limits: a batch within maxBatchedOperations runs (negative control)', async () => {
      const bombs = graphqlBombs({ operations: 2, batchedQuery: '{ health }' }).filter((b) => b.kind === 'batch');
      const report = await probeGraphqlBombs(app, { bombs, resolverCalls: () => CALLS.count });
      expect(report.findings).toEqual([
        '2 batched operations: not refused with an error code (status 200, data returned)',
        '2 batched operations: 2 resolver call(s) ran',
      ]);
    });
  });

  describe('checkGraphqlExposure', () => {
    it('reports introspection outside production (the default there), and no suggestion, stack or internal message', async () => {
      const report = await checkGraphqlExposure(app, { headers: A, errorQueries: ['{ broken }'] });
      const kinds = new Set(report.findings.map((finding) => finding.kind));
      expect(kinds).toContain('introspection');
      // GraphqlSecurityModule strips suggestions and masks errors in every environment.
      expect(kinds).not.toContain('suggestion');
      expect(kinds).not.toContain('stack-trace');
      expect(kinds).not.toContain('internal-message');
    });
  });
});

/**
 * Apollo configured by hand, to show the checker both ways: hardened, and with raw errors (without
 * GraphqlSecurityModule, which would mask them).
 */
async function bareApolloApp(config: Partial<ApolloDriverConfig>, graphqlModule = true): Promise<INestApplication> {
  const ref = await Test.createTestingModule({
    imports: [
      ApiSecurityModule.forRoot({ authenticators: [StaticAuthenticator] }),
      ...(graphqlModule ? [GraphqlSecurityModule.forRoot({ maxBatchedOperations: 5 })] : []),
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        validationRules: graphqlQueryLimits(LIMITS),
        fieldResolverEnhancers: ['guards', 'filters'],
        context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
        ...config,
      }),
    ],
    providers: [OrderResolver, ShipmentResolver, OrderOwnership, provideOwnershipResolver('order', OrderOwnership)],
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('GraphQL test kit: checkGraphqlExposure on a hand-configured Apollo', () => {
  it('reports nothing with introspection off, schema details hidden and the library’s formatError', async () => {
    const app = await bareApolloApp({
      introspection: false,
      hideSchemaDetailsFromClientErrors: true,
      formatError: formatGraphqlError,
    });
    try {
      const report = await checkGraphqlExposure(app, {
        headers: A,
        errorQueries: ['{ broken }'],
        suggestionQueries: ['{ ordr(id: "A1") { id } }'],
      });
      expect(report.findings).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('reports the stack trace, internal message and suggestions of a raw Apollo (negative control)', async () => {
    const app = await bareApolloApp({ introspection: false, includeStacktraceInErrorResponses: true }, false);
    try {
      const report = await checkGraphqlExposure(app, {
        headers: A,
        errorQueries: ['{ broken }'],
        suggestionQueries: ['{ ordr(id: "A1") { id } }'],
      });
      const broken = report.findings.filter((finding) => finding.probe === 'error: { broken }');
      expect(new Set(broken.map((finding) => finding.kind))).toEqual(new Set(['stack-trace', 'internal-message']));
      expect(report.findings.map((finding) => finding.kind)).toContain('suggestion');
    } finally {
      await app.close();
    }
  });
});
