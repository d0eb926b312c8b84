// A real, unmodified oidc-provider (panva) authorization server per configured provider, each on its
// own loopback port, run in a child process: the package is ESM-only and Jest runs the suites as
// CommonJS. The parent (oidc-provider.harness.ts) drives it over the IPC channel: rotate keys, stop
// serving the key set (or serve an oversized one, or a redirect), read how often the key set was fetched.
//
// Only the outer HTTP listener is ours: it counts requests to /jwks and /.well-known/*, can answer
// /jwks with 503 (an outage), and implements the interaction endpoints with the provider's own
// interaction API (interactionDetails / interactionFinished / Grant), logging in the account named
// by login_hint and granting what was asked. Everything else is the provider's own handler.
import { createServer } from 'node:http';
import { URL } from 'node:url';
import Provider from 'oidc-provider';

/** @type {Map<string, ReturnType<typeof hostProvider>>} */
const hosts = new Map();

function providerConfig(spec, keys) {
  return {
    clients: spec.clients,
    jwks: { keys },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Introspection (RFC 7662) and revocation (RFC 7009) for the opaque-token suites only.
      introspection: { enabled: spec.opaque === true },
      revocation: { enabled: spec.opaque === true },
      // DPoP-bound opaque tokens: introspection then carries cnf.jkt (RFC 9449 §6.2).
      dPoP: { enabled: spec.opaque === true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? spec.defaultResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource) => {
          const server = spec.resourceServers[resource];
          if (!server) throw new Provider.errors.InvalidTarget();
          return {
            scope: server.scope,
            audience: resource,
            accessTokenTTL: 3600,
            ...(spec.opaque === true
              ? { accessTokenFormat: 'opaque' }
              : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
          };
        },
      },
    },
    // Roles the way Keycloak writes them, chosen by account (users) or client id (clients).
    extraTokenClaims: async (_ctx, token) => {
      const roles = spec.roles[token.accountId ?? token.clientId];
      return roles ? { realm_access: { roles } } : undefined;
    },
    pkce: { required: () => true },
    interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
  };
}

function hostProvider(spec, issuer) {
  const state = {
    keys: spec.keys,
    jwksMode: 'serve',
    jwksFetches: 0,
    metadataFetches: 0,
    introspectionMode: 'serve',
    introspections: 0,
    introspectionAuthorizations: [],
    provider: undefined,
  };
  const build = () => {
    state.provider = new Provider(issuer, providerConfig(spec, state.keys));
    state.handler = state.provider.callback();
  };
  build();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (path === '/jwks') {
      state.jwksFetches += 1;
      if (state.jwksMode === 'down') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
        return;
      }
      if (state.jwksMode === 'huge') {
        // A valid JSON document over the consumer's size cap.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [], padding: 'x'.repeat(300 * 1024) }));
        return;
      }
      if (state.jwksMode === 'redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      }
    }
    if (path.startsWith('/.well-known/')) state.metadataFetches += 1;
    if (path === '/token/introspection') {
      state.introspections += 1;
      // The Authorization schemes the consumer authenticated with (never the credentials themselves).
      state.introspectionAuthorizations.push(String(req.headers.authorization ?? '').split(' ')[0]);
      if (state.introspectionMode === 'down') {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
        return;
      }
    }
    if (path.startsWith('/interaction/')) {
      interact(state.provider, req, res).catch((error) => {
        res.writeHead(500).end(String(error?.message ?? error));
      });
      return;
    }
    state.handler(req, res);
  });
  return { state, server, build };
}

/** Logs in the login_hint account (login prompt), or grants the requested scope and resources (consent prompt). */
async function interact(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    const accountId = String(params.login_hint ?? 'anonymous');
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function start(specs) {
  const issuers = {};
  for (const spec of specs) {
    // The issuer embeds the port, so listen first on a free port, then build the provider.
    const placeholder = createServer();
    await new Promise((resolve) => placeholder.listen(0, '127.0.0.1', resolve));
    const port = placeholder.address().port;
    await new Promise((resolve) => placeholder.close(resolve));
    const issuer = `http://127.0.0.1:${port}`;
    const host = hostProvider(spec, issuer);
    await new Promise((resolve, reject) => {
      host.server.once('error', reject);
      host.server.listen(port, '127.0.0.1', resolve);
    });
    hosts.set(spec.name, host);
    issuers[spec.name] = issuer;
  }
  return issuers;
}

const commands = {
  start: ({ providers }) => start(providers),
  rotate: ({ name, keys }) => {
    const host = hosts.get(name);
    host.state.keys = keys;
    // A new Provider instance with the new key set behind the same listener: what a provider
    // restart with rotated keys looks like from outside.
    host.build();
    return true;
  },
  jwksMode: ({ name, mode }) => {
    hosts.get(name).state.jwksMode = mode;
    return true;
  },
  introspectionMode: ({ name, mode }) => {
    hosts.get(name).state.introspectionMode = mode;
    return true;
  },
  stats: ({ name }) => {
    const { jwksFetches, metadataFetches, introspections, introspectionAuthorizations } = hosts.get(name).state;
    return {
      jwksFetches,
      metadataFetches,
      introspections,
      introspectionSchemes: [...new Set(introspectionAuthorizations)],
    };
  },
  stop: async () => {
    await Promise.all([...hosts.values()].map((h) => new Promise((resolve) => h.server.close(resolve))));
    return true;
  },
};

process.on('message', async ({ id, command, args }) => {
  try {
    process.send({ id, ok: true, result: await commands[command](args ?? {}) });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
