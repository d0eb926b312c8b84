import { isIP } from 'node:net';
import { parseCidr } from './address-policy';
import { SystemDnsResolver, type DnsResolver } from './dns-resolver';

/** The URL schemes an outbound request may use. */
export const OUTBOUND_SCHEMES = ['https', 'http'] as const;
/** A URL scheme an outbound request may use: `https`, or `http` where explicitly allowed. */
export type OutboundScheme = (typeof OUTBOUND_SCHEMES)[number];

/**
 * Outbound HTTP through `SafeHttpClient` (OWASP API7 server-side request forgery, API10 unsafe
 * consumption of APIs). The defaults refuse every host: list the ones the application may reach.
 */
export interface OutboundOptions {
  /**
   * Host names the client may reach: exact names (`api.example.com`), IP literals, or `*.` suffixes
   * (`*.example.com` matches `a.example.com` and `a.b.example.com`, not `example.com`). Whatever the
   * name, the addresses it resolves to must still pass the address policy.
   * @default [] (every host refused)
   */
  allowedHosts?: readonly string[];
  /**
   * URL schemes allowed, `https` and/or `http`; nothing else is ever possible.
   * @default ['https', 'http']
   */
  allowedSchemes?: readonly OutboundScheme[];
  /**
   * Ports allowed (the scheme's default port when the URL has none).
   * @default [80, 443]
   */
  allowedPorts?: readonly number[];
  /**
   * CIDRs (or single addresses) allowed although they are loopback, private or otherwise special:
   * for tests against local servers and for trusted internal services only. An IPv4-mapped IPv6
   * address is matched as IPv6 (`::ffff:127.0.0.1` needs an IPv6 CIDR such as `::ffff:127.0.0.1/128`).
   * @default [] (only globally routable unicast addresses)
   */
  allowCidrs?: readonly string[];
  /**
   * Redirects followed, each one checked again (scheme, host, port, address). 0–10.
   * @default 3
   */
  maxRedirects?: number;
  /**
   * Milliseconds to resolve the host and open the connection (TLS included). 1–60000.
   * @default 2000
   */
  connectTimeoutMs?: number;
  /**
   * Milliseconds for the whole call: every redirect, every connection and the body. 1–300000.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Largest response body read, in bytes; a larger one is refused and its stream aborted. 1–104857600.
   * @default 1048576 (1 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Response media types accepted (`type/subtype`, parameters ignored, compared case-insensitively).
   * A response without a body (HEAD, 204, 304) needs none.
   * @default ['text/html', 'text/plain', 'application/json']
   */
  allowedContentTypes?: readonly string[];
  /**
   * Resolver of host names, called at connect time.
   * @default the operating system's resolver (`SystemDnsResolver`)
   */
  resolver?: DnsResolver;
}

export interface ResolvedOutboundOptions {
  readonly allowedHosts: readonly string[];
  readonly allowedSchemes: readonly OutboundScheme[];
  readonly allowedPorts: readonly number[];
  readonly allowCidrs: readonly string[];
  readonly maxRedirects: number;
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly allowedContentTypes: readonly string[];
  readonly resolver: DnsResolver;
}

/** The defaults, as documented on {@link OutboundOptions} (the resolver is created per resolve). */
export const DEFAULT_OUTBOUND_OPTIONS: Readonly<Omit<ResolvedOutboundOptions, 'resolver'>> = Object.freeze({
  allowedHosts: Object.freeze([]),
  allowedSchemes: Object.freeze(['https', 'http'] as const),
  allowedPorts: Object.freeze([80, 443]),
  allowCidrs: Object.freeze([]),
  maxRedirects: 3,
  connectTimeoutMs: 2000,
  timeoutMs: 5000,
  maxResponseBytes: 1_048_576,
  allowedContentTypes: Object.freeze(['text/html', 'text/plain', 'application/json']),
});

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Shows a rejected value without letting it grow the message or break its line. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The form a host takes in a parsed URL's `hostname`: lowercased, without a trailing dot, IPv4 in
 * dotted decimal, IPv6 in brackets. `undefined` when the text is not a bare host name or IP.
 */
export function canonicalHost(text: string): string | undefined {
  const lower = text.trim().toLowerCase().replace(/\.$/, '');
  const inner = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  let hostname: string;
  try {
    if (isIP(inner) === 6) return new URL(`http://[${inner}]/`).hostname;
    if (/[:/?#@\\[\]%\s]/.test(lower)) return undefined;
    hostname = new URL(`http://${lower}/`).hostname;
  } catch {
    return undefined;
  }
  if (hostname.startsWith('[') || isIP(hostname) === 4) return hostname;
  // Names must be plain LDH labels as typed: the URL parser's punycoding or percent-decoding would
  // make the allowlist say something else than what was written.
  if (hostname !== lower || hostname.length > 253 || !hostname.split('.').every((l) => HOST_LABEL.test(l))) {
    return undefined;
  }
  return hostname;
}

function list<T>(value: unknown, path: string, fallback: readonly T[], problems: string[]): readonly unknown[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) {
    problems.push(`${path} must be an array.`);
    return fallback;
  }
  return value;
}

function wholeNumber(value: unknown, fallback: number, min: number, max: number, path: string, problems: string[]) {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || (resolved as number) < min || (resolved as number) > max) {
    problems.push(`${path} must be a whole number from ${min} to ${max} (got ${shown(resolved)}).`);
    return fallback;
  }
  return resolved as number;
}

/** Validates {@link OutboundOptions}, pushing one message per problem. */
export function resolveOutboundOptions(
  options: OutboundOptions | undefined,
  problems: string[],
  path = 'outbound',
): ResolvedOutboundOptions {
  let o: OutboundOptions = {};
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    problems.push(`${path} must be an object of outbound options (see OutboundOptions), or left out.`);
  } else if (options !== undefined) {
    o = options;
  }
  const d = DEFAULT_OUTBOUND_OPTIONS;

  const allowedHosts: string[] = [];
  for (const entry of list(o.allowedHosts, `${path}.allowedHosts`, d.allowedHosts, problems)) {
    const text = typeof entry === 'string' ? entry : '';
    const wildcard = text.startsWith('*.');
    const host = canonicalHost(wildcard ? text.slice(2) : text);
    if (host === undefined || (wildcard && (host.startsWith('[') || isIP(host) !== 0 || !host.includes('.')))) {
      problems.push(
        `${path}.allowedHosts has ${shown(entry)}: use bare host names (api.example.com), IP literals, or ` +
          `"*." followed by a domain with at least two labels (*.example.com); no scheme, port or path.`,
      );
      continue;
    }
    const canonical = wildcard ? `*.${host}` : host;
    if (!allowedHosts.includes(canonical)) allowedHosts.push(canonical);
  }

  const allowedSchemes: OutboundScheme[] = [];
  for (const entry of list(o.allowedSchemes, `${path}.allowedSchemes`, d.allowedSchemes, problems)) {
    const scheme = typeof entry === 'string' ? entry.toLowerCase().replace(/:$/, '') : entry;
    if (!(OUTBOUND_SCHEMES as readonly unknown[]).includes(scheme)) {
      problems.push(`${path}.allowedSchemes has ${shown(entry)}: only 'https' and 'http' are possible.`);
    } else if (!allowedSchemes.includes(scheme as OutboundScheme)) {
      allowedSchemes.push(scheme as OutboundScheme);
    }
  }

  const allowedPorts: number[] = [];
  for (const entry of list(o.allowedPorts, `${path}.allowedPorts`, d.allowedPorts, problems)) {
    if (!Number.isSafeInteger(entry) || (entry as number) < 1 || (entry as number) > 65535) {
      problems.push(`${path}.allowedPorts has ${shown(entry)}: ports are whole numbers from 1 to 65535.`);
    } else if (!allowedPorts.includes(entry as number)) {
      allowedPorts.push(entry as number);
    }
  }

  const allowCidrs: string[] = [];
  for (const entry of list(o.allowCidrs, `${path}.allowCidrs`, d.allowCidrs, problems)) {
    const cidr = typeof entry === 'string' ? parseCidr(entry) : undefined;
    if (!cidr) {
      problems.push(`${path}.allowCidrs has ${shown(entry)}: use a CIDR such as 127.0.0.1/32 or ::1/128.`);
    } else if (!allowCidrs.includes(cidr.text)) {
      allowCidrs.push(cidr.text);
    }
  }

  const maxRedirects = wholeNumber(o.maxRedirects, d.maxRedirects, 0, 10, `${path}.maxRedirects`, problems);
  const connectTimeoutMs = wholeNumber(
    o.connectTimeoutMs,
    d.connectTimeoutMs,
    1,
    60_000,
    `${path}.connectTimeoutMs`,
    problems,
  );
  const timeoutMs = wholeNumber(o.timeoutMs, d.timeoutMs, 1, 300_000, `${path}.timeoutMs`, problems);
  const maxResponseBytes = wholeNumber(
    o.maxResponseBytes,
    d.maxResponseBytes,
    1,
    104_857_600,
    `${path}.maxResponseBytes`,
    problems,
  );

  const allowedContentTypes: string[] = [];
  for (const entry of list(o.allowedContentTypes, `${path}.allowedContentTypes`, d.allowedContentTypes, problems)) {
    const type = typeof entry === 'string' ? entry.trim().toLowerCase() : '';
    if (!MEDIA_TYPE.test(type)) {
      problems.push(`${path}.allowedContentTypes has ${shown(entry)}: use media types such as 'application/json'.`);
    } else if (!allowedContentTypes.includes(type)) {
      allowedContentTypes.push(type);
    }
  }

  let resolver: DnsResolver | undefined = o.resolver;
  if (resolver !== undefined && typeof (resolver as Partial<DnsResolver>)?.resolve !== 'function') {
    problems.push(`${path}.resolver must be an object with a resolve(hostname) method (see DnsResolver).`);
    resolver = undefined;
  }

  return Object.freeze({
    allowedHosts: Object.freeze(allowedHosts),
    allowedSchemes: Object.freeze(allowedSchemes),
    allowedPorts: Object.freeze(allowedPorts),
    allowCidrs: Object.freeze(allowCidrs),
    maxRedirects,
    connectTimeoutMs,
    timeoutMs,
    maxResponseBytes,
    allowedContentTypes: Object.freeze(allowedContentTypes),
    resolver: resolver ?? new SystemDnsResolver(),
  });
}
