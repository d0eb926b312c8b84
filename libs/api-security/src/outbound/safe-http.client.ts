import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { ApiSecurityConfigError } from '../api-security.options';
import type { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityEvent } from '../audit/security-event';
import { AddressPolicy, parseIpAddress } from './address-policy';
import type { DnsResolver } from './dns-resolver';
import { OutboundFailedError, OutboundRefusedError } from './outbound.errors';
import { resolveOutboundOptions, type OutboundOptions, type ResolvedOutboundOptions } from './outbound.options';

/** An HTTP method `SafeHttpClient` sends. */
export type SafeHttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Where a call comes from, copied into the `outbound.refused` event (use `eventContext(request)`). */
export type OutboundEventContext = Pick<SecurityEvent, 'route' | 'requestId' | 'ip' | 'principalId'>;

/** One outbound request made through `SafeHttpClient`. */
export interface SafeHttpRequest {
  /** @default 'GET' */
  method?: SafeHttpMethod;
  /** Request headers. `Host` and hop-by-hop headers are ignored; credentials are dropped on a cross-origin redirect. */
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  /** Cancels the call (the call's own time limit applies anyway). */
  signal?: AbortSignal;
  /** Copied into security events. */
  context?: OutboundEventContext;
}

/** What `SafeHttpClient` returns: status, allowed headers and the bounded body. */
export interface SafeHttpResponse {
  readonly status: number;
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly redirects: number;
  /** Lowercased media type without parameters; undefined when the response had none. */
  readonly contentType: string | undefined;
  readonly charset: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The whole body, never more than `maxResponseBytes`. */
  readonly body: Buffer;
  /** The body decoded with its charset (UTF-8 when absent or unknown). */
  text(): string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DROPPED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'content-length',
  'expect',
]);
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseContentType(value: string | undefined): { type?: string; charset?: string } {
  if (!value) return {};
  const [type = '', ...params] = value.split(';');
  const charset = params
    .map((p) => p.trim().split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"|"$/g, '')
    .toLowerCase();
  return { type: type.trim().toLowerCase() || undefined, ...(charset ? { charset } : {}) };
}

function decode(body: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** Stops reading a body: its socket is closed, and the abort is not reported as an unhandled error. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * An HTTP client that cannot be turned against the server's own network (OWASP API7, SSRF).
 *
 * Every call and every redirect hop is checked: scheme, credentials in the URL, host allowlist and
 * port allowlist before anything is sent; then, inside the DNS lookup of each new connection, every
 * address the name resolves to must be globally routable unicast (loopback, private, link-local and
 * cloud metadata, CGNAT, multicast, IPv4-mapped, NAT64, 6to4, Teredo, ULA and every other reserved
 * range are refused) unless covered by `allowCidrs`. The socket connects only to the addresses that
 * passed, so DNS rebinding between a check and the connection is impossible; its remote address is
 * checked once more when connected. No connection outlives the call, so every call resolves again.
 * Time (connect and total) and body size are bounded, and only the allowed content types are read.
 *
 * Every refusal throws {@link OutboundRefusedError} (400 problem details) and emits an
 * `outbound.refused` security event with the host and the reason, never the full URL.
 *
 * `ApiSecurityModule` provides one built from its `outbound` options; `new SafeHttpClient(options)`
 * or {@link SafeHttpClient.withOptions} make others (each validates its options).
 */
export class SafeHttpClient {
  readonly options: ResolvedOutboundOptions;
  private readonly policy: AddressPolicy;
  private readonly exactHosts: ReadonlySet<string>;
  private readonly hostSuffixes: readonly string[];

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    options: OutboundOptions = {},
    /** Receives `outbound.refused` (and, through `fetchValidated`, `third_party.invalid`) events. */
    readonly events?: SecurityEventBus,
  ) {
    const problems: string[] = [];
    this.options = resolveOutboundOptions(options, problems);
    if (problems.length > 0) throw new ApiSecurityConfigError(problems);
    this.policy = new AddressPolicy(this.options.allowCidrs);
    this.exactHosts = new Set(this.options.allowedHosts.filter((h) => !h.startsWith('*.')));
    this.hostSuffixes = this.options.allowedHosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  }

  /** A client with some options replaced (e.g. its own host allowlist), sharing the event bus. */
  withOptions(overrides: OutboundOptions): SafeHttpClient {
    return new SafeHttpClient({ ...this.options, ...overrides }, this.events);
  }

  get(url: string | URL, init: Omit<SafeHttpRequest, 'method' | 'body'> = {}): Promise<SafeHttpResponse> {
    return this.request(url, { ...init, method: 'GET' });
  }

  /**
   * Checks and sends one request, following redirects (each hop checked again), and reads the whole
   * body within the limits.
   * @throws OutboundRefusedError when a rule refuses the call, OutboundFailedError when the remote side fails.
   */
  async request(input: string | URL, init: SafeHttpRequest = {}): Promise<SafeHttpResponse> {
    let host: string | undefined;
    let hop = 0;
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new OutboundRefusedError('timeout', host, `${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    const signal = init.signal ? AbortSignal.any([deadline.signal, init.signal]) : deadline.signal;
    const agent = this.agent();
    try {
      let url = this.checkUrl(input, (h) => (host = h));
      let method: SafeHttpMethod = init.method ?? 'GET';
      let body = init.body;
      let headers = this.requestHeaders(init.headers);
      for (;;) {
        const response = await request(url, { dispatcher: agent, method, headers, body, signal });
        const location = header(response.headers.location);
        if (!REDIRECTS.has(response.statusCode) || location === undefined) {
          return await this.read(response, url, hop, method, host);
        }
        discard(response.body);
        if (hop >= this.options.maxRedirects) {
          throw new OutboundRefusedError('too_many_redirects', host, `more than ${this.options.maxRedirects}`);
        }
        hop += 1;
        const next = this.checkUrl(location, (h) => (host = h), url);
        if (
          response.statusCode === 303 ||
          ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')
        ) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('content-')));
        }
        if (next.origin !== url.origin) {
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name)));
        }
        url = next;
      }
    } catch (error) {
      const translated = this.translate(error, deadline.signal, init.signal, host);
      if (translated instanceof OutboundRefusedError) this.refused(translated, hop, init.context);
      throw translated;
    } finally {
      clearTimeout(timer);
      agent.destroy().catch(() => undefined);
    }
  }

  /** Scheme, credentials, host allowlist, port allowlist, and IP literals against the address policy. */
  private checkUrl(input: string | URL, onHost: (host: string | undefined) => void, base?: URL): URL {
    let url: URL;
    try {
      url = new URL(String(input), base);
    } catch {
      throw new OutboundRefusedError('invalid_url', undefined);
    }
    const host = url.hostname.replace(/\.$/, '') || undefined;
    onHost(host);
    const scheme = url.protocol.slice(0, -1);
    if (!(this.options.allowedSchemes as readonly string[]).includes(scheme)) {
      throw new OutboundRefusedError('scheme', host, scheme.slice(0, 20));
    }
    if (url.username !== '' || url.password !== '') throw new OutboundRefusedError('credentials', host);
    if (host === undefined || !this.hostAllowed(host)) throw new OutboundRefusedError('host', host);
    const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
    if (!this.options.allowedPorts.includes(port)) throw new OutboundRefusedError('port', host, String(port));
    // An IP literal needs no lookup, so it is judged here (and again on the connected socket).
    if (parseIpAddress(host)) {
      const verdict = this.policy.check(host);
      if (!verdict.allowed) throw new OutboundRefusedError('address', host, verdict.range);
    }
    url.hash = '';
    return url;
  }

  private hostAllowed(host: string): boolean {
    return this.exactHosts.has(host) || this.hostSuffixes.some((suffix) => host.endsWith(suffix));
  }

  private requestHeaders(given: Readonly<Record<string, string>> = {}): Record<string, string> {
    const headers: Record<string, string> = {
      accept: this.options.allowedContentTypes.join(', '),
      // No compression: what is counted against the byte cap is what is kept (no decompression bombs).
      'accept-encoding': 'identity',
    };
    for (const [name, value] of Object.entries(given)) {
      const lower = name.toLowerCase();
      if (!DROPPED_HEADERS.has(lower) && lower !== 'accept-encoding') headers[lower] = value;
    }
    return headers;
  }

  private async read(
    response: Dispatcher.ResponseData,
    url: URL,
    redirects: number,
    method: SafeHttpMethod,
    host: string | undefined,
  ): Promise<SafeHttpResponse> {
    const { type, charset } = parseContentType(header(response.headers['content-type']));
    const bodyless = method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304;
    if (!bodyless) {
      if (type === undefined || !this.options.allowedContentTypes.includes(type)) {
        discard(response.body);
        throw new OutboundRefusedError('content_type', host, type?.slice(0, 100) ?? 'none');
      }
      const encoding = header(response.headers['content-encoding'])?.trim().toLowerCase();
      if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
        discard(response.body);
        throw new OutboundRefusedError('content_type', host, `content-encoding ${encoding.slice(0, 40)}`);
      }
      const declared = Number(header(response.headers['content-length']));
      if (Number.isFinite(declared) && declared > this.options.maxResponseBytes) {
        discard(response.body);
        throw new OutboundRefusedError('too_large', host, `content-length ${declared}`);
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.options.maxResponseBytes) {
        discard(response.body);
        throw new OutboundRefusedError('too_large', host, `over ${this.options.maxResponseBytes} bytes`);
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    return {
      status: response.statusCode,
      url: url.href,
      redirects,
      contentType: type,
      charset,
      headers: response.headers,
      body,
      text: () => decode(body, charset),
    };
  }

  /** One agent per call: connections are never shared between calls, so each call resolves afresh. */
  private agent(): Agent {
    const base = buildConnector({ timeout: this.options.connectTimeoutMs, lookup: this.lookup });
    const connect: buildConnector.connector = (options, callback) => {
      // IP literals skip the lookup in net.connect: judge them here.
      if (isIP(options.hostname) !== 0) {
        const verdict = this.policy.check(options.hostname);
        if (!verdict.allowed) {
          callback(new OutboundRefusedError('address', options.hostname, verdict.range), null);
          return;
        }
      }
      base(options, (...result) => {
        const [error, socket] = result;
        if (error !== null) {
          callback(error, null);
          return;
        }
        // Belt and braces: the peer the socket actually reached must pass too.
        const verdict = socket.remoteAddress ? this.policy.check(socket.remoteAddress) : undefined;
        if (!verdict?.allowed) {
          socket.destroy();
          callback(new OutboundRefusedError('address', options.hostname, verdict?.range ?? 'unknown-peer'), null);
          return;
        }
        callback(null, socket);
      });
    };
    return new Agent({
      connect,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      maxResponseSize: this.options.maxResponseBytes,
    });
  }

  /**
   * The DNS lookup of every new connection: resolves with the configured resolver and hands the
   * socket only addresses that passed the policy. One refused address refuses the whole name.
   */
  private readonly lookup: LookupFunction = (hostname, options: LookupOptions, callback) => {
    this.resolve(hostname, options).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]?.address ?? '', addresses[0]?.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };

  private async resolve(hostname: string, options: LookupOptions): Promise<LookupAddress[]> {
    let answers: Awaited<ReturnType<DnsResolver['resolve']>>;
    try {
      answers = await this.options.resolver.resolve(hostname);
    } catch (error) {
      throw new OutboundFailedError(`dns ${errorCode(error) ?? 'error'} for ${hostname.slice(0, 253)}`);
    }
    const addresses: LookupAddress[] = [];
    for (const answer of answers) {
      const verdict = this.policy.check(answer.address);
      if (!verdict.allowed) throw new OutboundRefusedError('address', hostname, verdict.range);
      const family = (parseIpAddress(answer.address) as NonNullable<ReturnType<typeof parseIpAddress>>).kind();
      addresses.push({ address: answer.address, family: family === 'ipv6' ? 6 : 4 });
    }
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    if (usable.length === 0) throw new OutboundFailedError(`dns no address for ${hostname.slice(0, 253)}`);
    return usable;
  }

  private translate(
    error: unknown,
    deadline: AbortSignal,
    callerSignal: AbortSignal | undefined,
    host: string | undefined,
  ): unknown {
    if (error instanceof OutboundRefusedError || error instanceof OutboundFailedError) return error;
    if (deadline.aborted) {
      return deadline.reason instanceof OutboundRefusedError
        ? deadline.reason
        : new OutboundRefusedError('timeout', host);
    }
    if (callerSignal?.aborted) return callerSignal.reason;
    const code = errorCode(error);
    if (code !== undefined && TIMEOUT_CODES.has(code)) return new OutboundRefusedError('timeout', host, code);
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new OutboundRefusedError('too_large', host);
    const cause = (error as { cause?: unknown } | null)?.cause;
    if (cause instanceof OutboundRefusedError || cause instanceof OutboundFailedError) return cause;
    return new OutboundFailedError(`${code ?? (error instanceof Error ? error.name : 'error')} for ${host ?? '?'}`);
  }

  private refused(error: OutboundRefusedError, hop: number, context: OutboundEventContext = {}): void {
    this.events?.emit({
      type: 'outbound.refused',
      reason: error.refusal,
      ...context,
      details: {
        ...(error.host ? { host: error.host } : {}),
        hop,
        ...(error.info ? { info: error.info } : {}),
      },
    });
  }
}
