import type { HttpAdapterHost, ModuleRef, ModulesContainer } from '@nestjs/core';
import { GRAPHQL_MODULE_OPTIONS } from '@nestjs/graphql';
import type { ResolvedApiSecurityOptions } from '../api-security.options';
import { PrincipalRoles } from '../authorization/principal-roles';
import { SECURITY_STEPS } from '../pipeline/security-chain';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { formatGraphqlError } from './format-error';
import { GraphqlSchemaExposure, type ExposureOptions } from './schema-exposure.installer';
import { graphqlOperationHash } from './schema-exposure.rules';

type Hook = (request: object, reply: object, payload?: unknown) => Promise<unknown>;

interface Sent {
  status?: number;
  body?: unknown;
}

/** A Fastify app that records its hooks, and an authentication step that knows `Bearer admin` and `Bearer user`. */
function harness(options: Partial<ExposureOptions>, production: boolean, graphqlOptions?: object) {
  const hooks = new Map<string, Hook>();
  const app = { addHook: (name: string, hook: Hook) => hooks.set(name, hook) };
  const adapterHost = {
    httpAdapter: { getType: () => 'fastify', getInstance: () => app },
  } as unknown as HttpAdapterHost;
  const authentication: SecurityStep = {
    name: 'authentication',
    appliesTo: () => true,
    run: async (context: SecurityStepContext) => {
      const header = context.request.headers.authorization;
      if (header === 'Bearer admin')
        context.request.principal = { id: 'a', roles: ['admin'], authMethod: 'static', scopes: [] };
      else if (header === 'Bearer user')
        context.request.principal = { id: 'u', roles: ['user'], authMethod: 'static', scopes: [] };
    },
  } as unknown as SecurityStep;
  const roles = new PrincipalRoles({ roles: { hierarchy: {} } } as Pick<ResolvedApiSecurityOptions, 'roles'>);
  const moduleRef = {
    get: (token: unknown) => {
      if (token === SECURITY_STEPS) return [authentication];
      if (token === PrincipalRoles) return roles;
      if (token === GRAPHQL_MODULE_OPTIONS && graphqlOptions) return graphqlOptions;
      throw new Error('unknown provider');
    },
  } as unknown as ModuleRef;
  const api = { production, rateLimit: { enabled: false, tiers: [] } } as unknown as ResolvedApiSecurityOptions;
  const exposure = new GraphqlSchemaExposure(
    adapterHost,
    moduleRef,
    new Map() as unknown as ModulesContainer,
    { path: '/graphql', ...options },
    api,
  );
  exposure.onModuleInit();

  async function send(body: unknown, auth?: string, method = 'POST', url = '/graphql'): Promise<Sent> {
    const sent: Sent = {};
    const reply = {
      raw: { getHeader: () => 'rid' },
      statusCode: 200,
      getHeader: () => 'rid',
      code(status: number) {
        sent.status = status;
        return { header: () => ({ send: (payload: unknown) => (sent.body = payload) }) };
      },
    };
    const request = {
      method,
      url,
      headers: auth ? { authorization: auth } : {},
      body,
      query: {},
      raw: { headers: {} },
      routeOptions: { url: '/graphql' },
    };
    await hooks.get('preHandler')?.(request, reply);
    return sent;
  }
  return { send, hooks };
}

const codeOf = (sent: Sent): unknown =>
  (sent.body as { errors?: { extensions?: { code?: unknown } }[] })?.errors?.[0]?.extensions?.code;

describe('GraphqlSchemaExposure', () => {
  const INTROSPECTION = '{ __schema { types { name } } }';

  it('refuses introspection by default in production, allows it elsewhere', async () => {
    expect(codeOf(await harness({}, true).send({ query: INTROSPECTION }))).toBe('ERR_GRAPHQL_INTROSPECTION');
    expect((await harness({}, false).send({ query: INTROSPECTION })).status).toBeUndefined();
    expect((await harness({ introspection: true }, true).send({ query: INTROSPECTION })).status).toBeUndefined();
    expect(codeOf(await harness({ introspection: false }, false).send({ query: INTROSPECTION }))).toBe(
      'ERR_GRAPHQL_INTROSPECTION',
    );
  });

  it('allows introspection to the listed roles only, as the authentication step established them', async () => {
    const { send } = harness({ introspection: { allowRoles: ['admin'] } }, true);
    expect((await send({ query: INTROSPECTION }, 'Bearer admin')).status).toBeUndefined();
    expect((await send({ query: INTROSPECTION }, 'Bearer user')).status).toBe(400);
    expect((await send({ query: INTROSPECTION }, 'Bearer forged')).status).toBe(400);
    expect((await send({ query: INTROSPECTION })).status).toBe(400);
    // An ordinary query never authenticates here.
    expect((await send({ query: '{ health }' })).status).toBeUndefined();
  });

  it('checks a raw document body (application/graphql) and a Buffer too', async () => {
    const { send } = harness({}, true);
    expect(codeOf(await send(INTROSPECTION))).toBe('ERR_GRAPHQL_INTROSPECTION');
    expect(codeOf(await send(Buffer.from(INTROSPECTION)))).toBe('ERR_GRAPHQL_INTROSPECTION');
    const allowlist = new Map([[graphqlOperationHash('{ health }'), '{ health }']]);
    expect(codeOf(await harness({ persistedQueries: { allowlist } }, true).send('{ me }'))).toBe(
      'ERR_GRAPHQL_PERSISTED_QUERY',
    );
  });

  it('checks a GET’s query string too', async () => {
    const url = `/graphql?query=${encodeURIComponent(INTROSPECTION)}`;
    expect(codeOf(await harness({}, true).send(undefined, undefined, 'GET', url))).toBe('ERR_GRAPHQL_INTROSPECTION');
  });

  it('completes a listed hash, refuses an unlisted document or unknown hash when enforced', async () => {
    const doc = '{ health }';
    const allowlist = new Map([[graphqlOperationHash(doc), doc]]);
    const { send } = harness({ persistedQueries: { allowlist } }, true);
    const body: { query?: string; extensions: object } = {
      extensions: { persistedQuery: { version: 1, sha256Hash: graphqlOperationHash(doc) } },
    };
    expect((await send(body)).status).toBeUndefined();
    expect(body.query).toBe(doc);
    expect(codeOf(await send({ query: '{ me }' }))).toBe('ERR_GRAPHQL_PERSISTED_QUERY');
    expect(codeOf(await send({ extensions: { persistedQuery: { sha256Hash: '0'.repeat(64) } } }))).toBe(
      'ERR_GRAPHQL_PERSISTED_QUERY',
    );
  });

  it('does not enforce the allowlist outside production unless told to', async () => {
    const allowlist = new Map([[graphqlOperationHash('{ health }'), '{ health }']]);
    expect(
      (await harness({ persistedQueries: { allowlist } }, false).send({ query: '{ me }' })).status,
    ).toBeUndefined();
    expect(
      codeOf(await harness({ persistedQueries: { allowlist, enforce: true } }, false).send({ query: '{ me }' })),
    ).toBe('ERR_GRAPHQL_PERSISTED_QUERY');
  });

  it('masks the errors of the endpoint’s responses on the way out', async () => {
    const { hooks } = harness({}, false);
    const masked = await hooks.get('onSend')?.(
      { routeOptions: { url: '/graphql' }, raw: { headers: {} } },
      { raw: { getHeader: () => 'rid' }, statusCode: 200, getHeader: () => 'application/json' },
      JSON.stringify({ data: { a: null }, errors: [{ message: 'password=x', path: ['a'] }] }),
    );
    expect(masked).not.toContain('password');
    expect(JSON.parse(masked as string).errors[0].extensions).toEqual({ code: 'ERR_INTERNAL', requestId: 'rid' });
  });

  it('leaves a problem-details body (its own `errors` member) alone', async () => {
    const { hooks } = harness({}, false);
    const problem = JSON.stringify({ code: 'ERR_VALIDATION', status: 400, errors: [{ field: 'x', message: 'bad' }] });
    const sent = await hooks.get('onSend')?.(
      { routeOptions: { url: '/graphql' }, raw: { headers: {} } },
      { raw: { getHeader: () => 'rid' }, statusCode: 400, getHeader: () => 'application/problem+json; charset=utf-8' },
      problem,
    );
    expect(sent).toBe(problem);
  });

  it('sets formatGraphqlError on an Apollo config without formatError, and leaves an app’s own', () => {
    class ApolloDriver {}
    const bare: { driver: unknown; formatError?: unknown } = { driver: ApolloDriver };
    harness({}, false, bare);
    expect(bare.formatError).toBe(formatGraphqlError);
    const own = () => undefined;
    const custom = { driver: ApolloDriver, formatError: own };
    harness({}, false, custom);
    expect(custom.formatError).toBe(own);
  });

  it('sets Apollo’s own introspection off when nobody may introspect, on otherwise (the HTTP check decides)', () => {
    class ApolloDriver {}
    const production: { driver: unknown; introspection?: boolean } = { driver: ApolloDriver };
    harness({}, true, production);
    expect(production.introspection).toBe(false);
    const byRole: { driver: unknown; introspection?: boolean } = { driver: ApolloDriver };
    harness({ introspection: { allowRoles: ['admin'] } }, true, byRole);
    expect(byRole.introspection).toBe(true);
    const development: { driver: unknown; introspection?: boolean } = { driver: ApolloDriver };
    harness({}, false, development);
    expect(development.introspection).toBe(true);
    const explicit = { driver: ApolloDriver, introspection: false };
    harness({}, false, explicit);
    expect(explicit.introspection).toBe(false);
  });
});
