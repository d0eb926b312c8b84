import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/** A private RS256 signing key as the provider takes it, with its kid. */
export type PrivateJwk = JWK & { kid: string };

/** One client registered at a provider (oidc-provider client metadata). */
export interface ProviderClient {
  client_id: string;
  client_secret?: string;
  grant_types: string[];
  response_types: string[];
  redirect_uris: string[];
  application_type?: 'web' | 'native';
  token_endpoint_auth_method?: string;
}

/** One provider the child process hosts. */
export interface ProviderSpec {
  name: string;
  keys: PrivateJwk[];
  clients: ProviderClient[];
  /** resource indicator (becomes `aud`) → scopes it offers */
  resourceServers: Record<string, { scope: string }>;
  defaultResource: string;
  /** account id or client id → `realm_access.roles` */
  roles: Record<string, string[]>;
  /** Opaque access tokens, with introspection (RFC 7662) and revocation (RFC 7009) enabled. */
  opaque?: boolean;
}

/** Counters of one provider, counted by the listener in front of it. */
export interface ProviderStats {
  jwksFetches: number;
  metadataFetches: number;
  /** Requests to the introspection endpoint. */
  introspections: number;
  /** The Authorization schemes introspection requests came with (never the credentials). */
  introspectionSchemes: string[];
}

/** A fresh RS256 key pair: the private JWK for the provider, kept by the test to forge tokens too. */
export async function rsaKey(
  kid: string,
): Promise<{ jwk: PrivateJwk; privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }, privateKey };
}

export const REDIRECT_URI = 'http://127.0.0.1/callback';

/** A confidential client for the client-credentials grant and a public (PKCE) client for users. */
export function standardClients(): ProviderClient[] {
  return [
    {
      client_id: 'service-a',
      client_secret: 'service-a-secret-0123456789abcdef0123456789',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: 'spa',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
    },
  ];
}

/**
 * Starts real oidc-provider servers in a child process (the package is ESM-only; Jest runs
 * CommonJS) and drives them over IPC.
 */
export class OidcProviderHarness {
  private child: ChildProcess | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  issuers: Record<string, string> = {};

  async start(providers: ProviderSpec[]): Promise<Record<string, string>> {
    const child = fork(join(__dirname, 'oidc-provider.server.mjs'), [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // The provider warns that Node 20 is not among its supported runtimes; it works on it.
      execArgv: ['--no-warnings'],
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`oidc-provider child exited (${code}): ${this.stderr}`)));
      child.on(
        'message',
        (message: { ready?: boolean; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
          if (message.ready) return resolve();
          const waiter = message.id !== undefined ? this.pending.get(message.id) : undefined;
          if (!waiter) return;
          this.pending.delete(message.id as number);
          if (message.ok) waiter.resolve(message.result);
          else waiter.reject(new Error(message.error));
        },
      );
    });
    this.issuers = (await this.call('start', { providers })) as Record<string, string>;
    return this.issuers;
  }

  /** Publishes a new key set (the first key signs new tokens). */
  rotate(name: string, keys: PrivateJwk[]): Promise<unknown> {
    return this.call('rotate', { name, keys });
  }

  /**
   * What /jwks answers: the key set (`serve`), 503 (`down`), 300 KiB of JSON (`huge`), or a
   * redirect to a cloud metadata address (`redirect`).
   */
  jwksMode(name: string, mode: 'serve' | 'down' | 'huge' | 'redirect'): Promise<unknown> {
    return this.call('jwksMode', { name, mode });
  }

  /** What the introspection endpoint answers: the provider's answer (`serve`) or 503 (`down`). */
  introspectionMode(name: string, mode: 'serve' | 'down'): Promise<unknown> {
    return this.call('introspectionMode', { name, mode });
  }

  /** How many times the key set, the metadata and the introspection endpoint were requested at the provider. */
  stats(name: string): Promise<ProviderStats> {
    return this.call('stats', { name }) as Promise<ProviderStats>;
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    await this.call('stop').catch(() => undefined);
    this.child.kill();
    this.child = undefined;
  }

  private call(command: string, args?: unknown): Promise<unknown> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('harness not started'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, command, args });
    });
  }
}

/** The resource server's own client at the provider, which authenticates its introspection calls. */
export const INTROSPECTION_CLIENT = {
  client_id: 'orders-api',
  client_secret: 'orders-api-introspection-secret-7f3a9c1e5b2d4f6a8c0e',
  grant_types: [],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
} satisfies ProviderClient;

/** Revokes a token of `service-a` at the provider's RFC 7009 revocation endpoint. */
export async function revokeToken(issuer: string, token: string): Promise<void> {
  const body = new URLSearchParams({
    token,
    client_id: 'service-a',
    client_secret: 'service-a-secret-0123456789abcdef0123456789',
  });
  const response = await fetch(`${issuer}/token/revocation`, { method: 'POST', body });
  if (response.status !== 200) throw new Error(`revocation endpoint: ${response.status} ${await response.text()}`);
}

/** An access token from the provider's token endpoint (client credentials grant). */
export async function clientCredentialsToken(issuer: string, resource: string, scope?: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: 'service-a',
    client_secret: 'service-a-secret-0123456789abcdef0123456789',
    resource,
    ...(scope !== undefined ? { scope } : {}),
  });
  const response = await fetch(`${issuer}/token`, { method: 'POST', body });
  const json = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!json.access_token) throw new Error(`token endpoint: ${json.error}: ${json.error_description}`);
  return json.access_token;
}

/**
 * An access token for a user: authorization code with PKCE (S256), the browser's redirects and
 * cookies followed by hand; the provider's interaction endpoints log in `login_hint` and consent.
 */
export async function authorizationCodeToken(
  issuer: string,
  account: string,
  resource: string,
  scope: string,
): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const cookies = new Map<string, string>();
  let url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: 'spa',
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: `openid ${scope}`,
    resource,
    login_hint: account,
    state: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  let code: string | null = null;
  for (let hop = 0; hop < 12 && code === null; hop += 1) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorization flow stopped at ${url.pathname} with ${response.status}`);
    url = new URL(location, url);
    if (url.href.startsWith(REDIRECT_URI)) {
      code = url.searchParams.get('code');
      if (!code) throw new Error(`authorization error: ${url.searchParams.get('error')}`);
    }
  }
  if (code === null) throw new Error('authorization flow did not reach the redirect URI');
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: 'spa',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    resource,
  });
  const response = await fetch(`${issuer}/token`, { method: 'POST', body });
  const json = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!json.access_token) throw new Error(`token endpoint: ${json.error}: ${json.error_description}`);
  return json.access_token;
}
