// A real authorization server for the DPoP suites: oidc-provider (ESM-only, hence a child process
// rather than an import from Jest) issuing JWT access tokens bound to the client's DPoP key
// (RFC 9449, `features.dPoP`) through the client-credentials grant. Prints one JSON line on stdout
// (issuer, token endpoint, audience, client credentials, the signing key's public JWK) once listening.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const AUDIENCE = 'https://api.dpop.test/';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = 'oidc-provider-es256';
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
const clientSecret = randomBytes(32).toString('base64url');

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingJwk] },
  clients: [
    {
      client_id: 'dpop-client',
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    dPoP: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => AUDIENCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: AUDIENCE,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
server.on('request', provider.callback());
process.stdout.write(
  `${JSON.stringify({ issuer, tokenEndpoint: `${issuer}/token`, audience: AUDIENCE, clientId: 'dpop-client', clientSecret, publicJwk })}\n`,
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
