import { Logger, type INestApplication } from '@nestjs/common';
import { Field, GraphQLSchemaHost, ObjectType, Query, Resolver } from '@nestjs/graphql';
import request from 'supertest';
import { ErrorCode, Public, Roles, RouteInventoryService } from '@api-security/nestjs';
import { GraphqlExposureCode, graphqlOperationHash } from '@api-security/nestjs/graphql';
import { CALLS, createGraphqlApp, DRIVERS, type Driver, type GraphqlAppOptions } from './graphql.fixture';
import type { GraphqlBody } from '../utils/graphql-body';

/** A property whose read fails: the default resolver throws, outside any exception filter. */
@ObjectType()
class Vault {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) combination?: string;
}

/** Resolvers failing with internals in their messages. */
@Resolver()
class FailingResolver {
  @Query(() => String, { nullable: true })
  @Public()
  leaky(): string {
    throw new Error('db password=hunter2 at /srv/app/src/db.ts:12');
  }

  @Query(() => String, { nullable: true })
  @Public()
  crash(): string {
    const row = undefined as unknown as { secretColumn: string };
    return row.secretColumn;
  }

  @Query(() => String, { nullable: true, description: 'The audit trail.' })
  @Roles('admin')
  audit(): string {
    return 'trail';
  }

  @Query(() => Vault, { nullable: true })
  @Public()
  vault(): Vault {
    const vault = { name: 'main' } as Vault;
    Object.defineProperty(vault, 'combination', {
      enumerable: true,
      get: () => {
        throw new TypeError('vault combination read failed: key=0xDEADBEEF in /srv/app/src/vault.ts:7');
      },
    });
    return vault;
  }
}

const HEALTH = '{ health }';
/** Production needs a stable signing key; the static authenticator decides who is who. */
const PRODUCTION = {
  production: true,
  jwt: { algorithm: 'HS256', secret: 'a-test-secret-of-more-than-32-bytes-for-production' },
} as const;
const ADMIN = 'Bearer admin';
const USER = 'Bearer user-a';
const INTROSPECTION = '{ __schema { queryType { name } types { name } } }';

/** The driver's text of a response may contain none of these. */
const INTERNALS =
  /hunter2|password|DEADBEEF|secretColumn|Cannot read|TypeError|\.ts:\d|node_modules|stacktrace|"stack"|\bat [A-Za-z]+ \(|Did you mean/i;

describe.each(DRIVERS)('GraphQL schema exposure (%s)', (driver: Driver) => {
  let app: INestApplication;

  async function start(options: GraphqlAppOptions): Promise<void> {
    app = await createGraphqlApp(driver, { ...options, resolvers: [FailingResolver, ...(options.resolvers ?? [])] });
  }

  async function gql(
    body: object,
    auth?: string,
  ): Promise<{ status: number; body: GraphqlBody; text: string; requestId: string | undefined }> {
    const req = request(app.getHttpServer()).post('/graphql').set('Content-Type', 'application/json');
    if (auth) req.set('Authorization', auth);
    const res = await req.send(body);
    if (process.env.GQL_DEBUG) console.log(res.status, res.text);
    return {
      status: res.status,
      body: res.body as GraphqlBody,
      text: res.text,
      requestId: res.headers['x-request-id'],
    };
  }

  async function get(params: Record<string, string>): Promise<{ status: number; body: GraphqlBody }> {
    const res = await request(app.getHttpServer())
      .get('/graphql')
      .query(params)
      // Apollo's CSRF prevention serves a GET only with a header a browser form cannot set.
      .set('apollo-require-preflight', 'true');
    return { status: res.status, body: res.body as GraphqlBody };
  }

  const codes = (body: GraphqlBody): unknown[] => (body.errors ?? []).map((e) => e.extensions?.code);

  afterEach(async () => {
    await app?.close();
  });
  beforeEach(() => {
    CALLS.count = 0;
  });

  describe('in production', () => {
    beforeEach(() => start({ security: PRODUCTION }));

    it('refuses introspection (__schema, __type, in a fragment, over GET) with ERR_GRAPHQL_INTROSPECTION', async () => {
      for (const query of [
        INTROSPECTION,
        '{ __type(name: "Order") { name fields { name } } }',
        'query { ...F } fragment F on Query { __schema { types { name } } }',
        `{ health ${'x: __schema { queryType { name } }'} }`,
      ]) {
        const res = await gql({ query });
        expect(res.status).toBe(400);
        expect(res.body.data ?? undefined).toBeUndefined();
        expect(codes(res.body)).toEqual([GraphqlExposureCode.INTROSPECTION]);
        expect(res.body.errors?.[0]?.extensions?.requestId).toBe(res.requestId);
        expect(res.text).not.toContain('Order');
      }
      const viaGet = await get({ query: INTROSPECTION });
      expect(viaGet.status).toBe(400);
      expect(codes(viaGet.body)).toEqual([GraphqlExposureCode.INTROSPECTION]);
      expect(CALLS.count).toBe(0);
    });

    it('gives nothing of the schema to a raw document (Content-Type: application/graphql)', async () => {
      const res = await request(app.getHttpServer())
        .post('/graphql')
        .set('Content-Type', 'application/graphql')
        .send(INTROSPECTION);
      // Refused by the library's content-type check before the driver, or by the introspection check.
      expect(res.text).not.toContain('queryType');
      expect(res.text).toMatch(/ERR_UNSUPPORTED_MEDIA_TYPE|ERR_GRAPHQL_INTROSPECTION|application\/json/);
    });

    it('refuses introspection inside a batch', async () => {
      const res = await gql([{ query: HEALTH }, { query: INTROSPECTION }]);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(GraphqlExposureCode.INTROSPECTION);
      expect(CALLS.count).toBe(0);
    });

    it('still answers __typename and ordinary queries', async () => {
      const res = await gql({ query: '{ __typename health }' });
      expect(res.body).toEqual({ data: { __typename: 'Query', health: 'ok' } });
    });

    it('suppresses field suggestions ("Did you mean …") in validation errors', async () => {
      const res = await gql({ query: '{ helth }' });
      expect(res.body.data ?? undefined).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors?.[0]?.message).toMatch(/Cannot query field "helth" on type "Query"\.?$/);
      expect(res.text).not.toMatch(/Did you mean|"health"/);
      expect(codes(res.body)).toEqual([GraphqlExposureCode.INVALID_DOCUMENT]);
      expect(res.body.errors?.[0]?.extensions?.requestId).toBe(res.requestId);
    });

    it('suppresses argument suggestions too', async () => {
      const res = await gql({ query: '{ order(idd: "A1") { id } }' }, USER);
      expect(res.text).not.toMatch(/Did you mean/);
      expect(codes(res.body)).toContain(GraphqlExposureCode.INVALID_DOCUMENT);
    });

    it('masks an Error, a TypeError and a failing property read: generic message, ERR_INTERNAL, the request id', async () => {
      const res = await gql({ query: '{ leaky crash vault { name combination } health }' });
      expect(res.text).not.toMatch(INTERNALS);
      expect(res.body.data).toEqual({
        leaky: null,
        crash: null,
        vault: { name: 'main', combination: null },
        health: 'ok',
      });
      expect(res.body.errors).toHaveLength(3);
      for (const error of res.body.errors ?? []) {
        expect(error.extensions).toMatchObject({ code: ErrorCode.INTERNAL, requestId: res.requestId });
        expect(Object.keys(error.extensions ?? {}).filter((key) => key !== 'status')).toEqual(['code', 'requestId']);
        expect(error.message).not.toMatch(INTERNALS);
      }
      expect(res.requestId).toMatch(/^[\w-]{8,}$/);
    });

    it('logs what it masked, server-side, with the request id', async () => {
      const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      try {
        await request(app.getHttpServer())
          .post('/graphql')
          .set('Content-Type', 'application/json')
          .set('X-Request-Id', 'trace-77')
          .send({ query: '{ leaky vault { combination } }' });
        const lines = spy.mock.calls.map((args) => args.map(String).join(' '));
        // The resolver's Error (the library's filter) and the property read (the response masking).
        expect(lines.some((line) => line.includes('trace-77') && line.includes('hunter2'))).toBe(true);
        expect(lines.some((line) => line.includes('trace-77') && line.includes('DEADBEEF'))).toBe(true);
      } finally {
        spy.mockRestore();
      }
    });

    it('echoes the incoming request id in extensions.requestId', async () => {
      const res = await request(app.getHttpServer())
        .post('/graphql')
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', 'trace-42')
        .send({ query: '{ leaky }' });
      expect(res.headers['x-request-id']).toBe('trace-42');
      expect((res.body as GraphqlBody).errors?.[0]?.extensions?.requestId).toBe('trace-42');
    });

    it('answers a malformed JSON body with a coded error (problem details left as they are)', async () => {
      const res = await request(app.getHttpServer())
        .post('/graphql')
        .set('Content-Type', 'application/json')
        .send('{"query": "{ health }"');
      expect(res.status).toBe(400);
      if (driver === 'apollo') {
        // Express's body parser fails before the driver: the library's problem details, untouched.
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body).toMatchObject({ code: ErrorCode.MALFORMED_JSON, requestId: res.headers['x-request-id'] });
      } else {
        // Fastify's GraphQL route parses the body itself and answers a GraphQL error.
        expect(codes(res.body as GraphqlBody)).toEqual([GraphqlExposureCode.INVALID_DOCUMENT]);
      }
    });

    it('keeps the library codes of refusals (ERR_UNAUTHENTICATED, ERR_NOT_FOUND) with the request id', async () => {
      const anonymous = await gql({ query: '{ me }' });
      expect(codes(anonymous.body)).toEqual([ErrorCode.UNAUTHENTICATED]);
      expect(anonymous.body.errors?.[0]?.extensions?.requestId).toBe(anonymous.requestId);
      const other = await gql({ query: '{ order(id: "B1") { id } }' }, USER);
      expect(codes(other.body)).toEqual([ErrorCode.NOT_FOUND]);
    });
  });

  describe('outside production', () => {
    beforeEach(() => start({ security: { production: false } }));

    it('allows introspection by default', async () => {
      const res = await gql({ query: INTROSPECTION });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.__schema).toMatchObject({ queryType: { name: 'Query' } });
    });

    it('masks errors all the same', async () => {
      const res = await gql({ query: '{ leaky crash }' });
      expect(res.text).not.toMatch(INTERNALS);
      expect(codes(res.body)).toEqual([ErrorCode.INTERNAL, ErrorCode.INTERNAL]);
    });
  });

  describe('schema annotated with the security decisions', () => {
    const FIELDS = '{ __schema { queryType { fields { name description } } } }';
    const descriptions = (body: GraphqlBody): Record<string, string | null> => {
      const schema = body.data?.__schema as { queryType: { fields: { name: string; description: string | null }[] } };
      return Object.fromEntries(schema.queryType.fields.map((f) => [f.name, f.description]));
    };

    it('appends each operation’s decision to its description, after the author’s own', async () => {
      await start({ security: { production: false } });
      const fields = descriptions((await gql({ query: FIELDS })).body);
      expect(fields.audit).toBe('The audit trail.\n\nSecurity: Requires role admin.');
      expect(fields.order).toBe('Security: Owner only (id from argument id). Role admin bypasses the owner check.');
      expect(fields.health).toBe('Security: Public, no authentication.');
      expect(fields.me).toBe('Security: Requires authentication.');
      const shipment = await gql({ query: '{ __type(name: "Shipment") { fields { name description } } }' });
      const invoice = (shipment.body.data?.__type as { fields: { name: string; description: string }[] }).fields.find(
        (f) => f.name === 'invoice',
      );
      expect(invoice?.description).toBe(
        'Security: Owner only (id from parent field orderId). Role admin bypasses the owner check.',
      );
    });

    it('leaves descriptions alone with annotateSchema: false', async () => {
      await start({ security: { production: false }, graphqlSecurity: { annotateSchema: false } });
      const fields = descriptions((await gql({ query: FIELDS })).body);
      expect(fields.audit).toBe('The audit trail.');
      expect(fields.order).toBeNull();
    });
  });

  describe('introspection allowed to a role', () => {
    // As deployed: Apollo's own introspection default is off under NODE_ENV=production.
    const nodeEnv = process.env.NODE_ENV;
    beforeEach(async () => {
      process.env.NODE_ENV = 'production';
      await start({ security: PRODUCTION, graphqlSecurity: { introspection: { allowRoles: ['admin'] } } });
    });
    afterEach(() => {
      process.env.NODE_ENV = nodeEnv;
    });

    it('lets an admin introspect', async () => {
      const res = await gql({ query: INTROSPECTION }, ADMIN);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.__schema).toMatchObject({ queryType: { name: 'Query' } });
    });

    it('refuses a user without the role, an anonymous caller and a forged admin token', async () => {
      for (const auth of [USER, undefined, 'Bearer admin-forged', 'Bearer admln', 'Basic YWRtaW46YWRtaW4=']) {
        const res = await gql({ query: INTROSPECTION }, auth);
        expect(res.status).toBe(400);
        expect(codes(res.body)).toEqual([GraphqlExposureCode.INTROSPECTION]);
        expect(res.body.data ?? undefined).toBeUndefined();
      }
    });

    it('does not let an introspection registered by an admin run from its hash alone for others', async () => {
      const sha256Hash = graphqlOperationHash(INTROSPECTION);
      const extensions = { persistedQuery: { version: 1, sha256Hash } };
      await gql({ query: INTROSPECTION, extensions }, ADMIN);
      const res = await gql({ extensions }, USER);
      expect(JSON.stringify(res.body)).not.toContain('queryType');
      if (driver === 'apollo') expect(codes(res.body)).toEqual([GraphqlExposureCode.INTROSPECTION]);
    });
  });

  describe('persisted queries (enforced)', () => {
    const allowlist = { [graphqlOperationHash(HEALTH)]: HEALTH };
    beforeEach(() => start({ security: PRODUCTION, graphqlSecurity: { persistedQueries: { allowlist } } }));

    it('runs a listed document, sent as text or by its hash alone (POST and GET)', async () => {
      expect((await gql({ query: HEALTH })).body).toEqual({ data: { health: 'ok' } });
      const extensions = { persistedQuery: { version: 1, sha256Hash: graphqlOperationHash(HEALTH) } };
      expect((await gql({ extensions })).body).toEqual({ data: { health: 'ok' } });
      expect((await get({ extensions: JSON.stringify(extensions) })).body).toEqual({ data: { health: 'ok' } });
      expect(CALLS.count).toBe(3);
    });

    it('refuses a document not in the allowlist and an unknown hash, before anything runs', async () => {
      const unlisted = await gql({ query: '{ health   }' });
      expect(unlisted.status).toBe(400);
      expect(codes(unlisted.body)).toEqual([GraphqlExposureCode.PERSISTED_QUERY]);
      const unknown = await gql({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } });
      expect(unknown.status).toBe(400);
      expect(codes(unknown.body)).toEqual([GraphqlExposureCode.PERSISTED_QUERY]);
      const viaGet = await get({ query: '{ leaky }' });
      expect(codes(viaGet.body)).toEqual([GraphqlExposureCode.PERSISTED_QUERY]);
      const batch = await gql([{ query: HEALTH }, { query: '{ me }' }]);
      expect(batch.status).toBe(400);
      expect(CALLS.count).toBe(0);
    });
  });

  describe('route inventory', () => {
    beforeEach(() => start({ security: PRODUCTION }));

    it('lists every operation and field resolver with its security decision', async () => {
      const entries = app.get(RouteInventoryService).list();
      const byKey = new Map(entries.filter((e) => e.graphql).map((e) => [`${e.method} ${e.path}`, e]));
      // Every root field of the schema served has an entry.
      const schema = app.get(GraphQLSchemaHost).schema;
      for (const [root, kind] of [
        [schema.getQueryType(), 'QUERY'],
        [schema.getMutationType(), 'MUTATION'],
      ] as const) {
        for (const field of Object.keys(root?.getFields() ?? {}))
          expect(byKey.has(`${kind} ${root?.name}.${field}`)).toBe(true);
      }
      expect(byKey.get('QUERY Query.order')).toMatchObject({
        graphql: { kind: 'query', type: 'Query', field: 'order', args: ['id'], access: 'owner' },
        ownership: { kind: 'resource', resource: 'order', param: 'id', source: 'arg' },
      });
      expect(byKey.get('FIELD Shipment.invoice')).toMatchObject({
        graphql: { kind: 'field', type: 'Shipment', field: 'invoice', access: 'owner' },
        ownership: { param: 'orderId', source: 'parent' },
      });
      expect(byKey.get('MUTATION Mutation.purge')).toMatchObject({ graphql: { access: 'roles' }, roles: ['admin'] });
      expect(byKey.get('QUERY Query.health')).toMatchObject({ public: true, graphql: { access: 'public' } });
      expect(byKey.get('QUERY Query.me')).toMatchObject({ graphql: { access: 'authenticated' }, roles: [] });
      // HTTP routes carry no `graphql` member.
      expect(
        entries.filter((e) => !e.method.match(/^(QUERY|MUTATION|SUBSCRIPTION|FIELD)$/)).some((e) => e.graphql),
      ).toBe(false);
    });
  });

  describe('at boot', () => {
    async function bootError(
      options: GraphqlAppOptions['graphqlSecurity'],
    ): Promise<{ message: string; code: unknown }> {
      try {
        app = await createGraphqlApp(driver, { graphqlSecurity: options });
      } catch (error) {
        return { message: (error as Error).message, code: (error as { code?: unknown }).code };
      }
      throw new Error('the app booted');
    }

    it('refuses an unknown option, naming the closest one', async () => {
      const { message, code } = await bootError({ introspecton: false } as never);
      expect(code).toBe('ERR_CONFIG_UNKNOWN_OPTION');
      expect(message).toContain('"introspection"');
    });

    it('refuses an allowlist key that is not its document’s hash, and a bad introspection value', async () => {
      const { message, code } = await bootError({
        persistedQueries: { allowlist: { deadbeef: HEALTH } },
        introspection: { allowRoles: [] },
      });
      expect(code).toBe('ERR_CONFIG_INVALID_OPTION');
      expect(message).toContain('graphqlOperationHash');
      expect(message).toContain('allowRoles');
    });
  });
});
