import { isIP } from 'node:net';
import type { RateLimitConfig, TrustProxySetting } from './app-config';

/**
 * Result of parsing one environment value. `error` completes a sentence that starts with the variable
 * name ("PORT must be …"), so `loadConfig` can prefix it and every message names its variable.
 */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** Quotes a non-secret value for an error message, cut short so a pasted blob cannot flood the log. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** Integer in [min, max], digits only: `1e3`, `0x10`, `3.0` and `+5` are typos in an env file, not numbers. */
export function parseInteger(text: string, min: number, max: number = Number.MAX_SAFE_INTEGER): Parsed<number> {
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  if (!/^\d+$/.test(text)) return fail(`must be ${range} (got ${quote(text)})`);
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= min && value <= max
    ? ok(value)
    : fail(`must be ${range} (got ${quote(text)})`);
}

/** Comma list: entries trimmed, empty entries dropped, duplicates removed (first occurrence wins). */
export function parseList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...new Set(text.split(',').map((entry) => entry.trim()))].filter((entry) => entry !== '');
}

/** `N/Ss`, e.g. `100/60s` = 100 requests per 60 seconds. */
export function parseRateLimit(text: string): Parsed<RateLimitConfig> {
  const match = /^(\d+)\/(\d+)s$/.exec(text);
  const limit = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]);
  if (
    !match ||
    !Number.isSafeInteger(limit) ||
    !Number.isSafeInteger(windowSeconds) ||
    limit < 1 ||
    limit > 999_999_999 ||
    windowSeconds < 1 ||
    windowSeconds > 86_400
  ) {
    return fail(
      `must look like <requests>/<seconds>s with both numbers positive and a window of at most 86400 s, e.g. 100/60s (got ${quote(text)})`,
    );
  }
  return ok({ limit, windowSeconds });
}

const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 * 1024 };
/** Beyond this a single request can exhaust memory; nothing in this API needs bodies that large. */
export const MAX_BODY_LIMIT_BYTES = 100 * 1024 * 1024;

/** `100kb`, `1mb`, `512b` or a plain byte count, with the 1024-based units Express's body parser uses. */
export function parseByteSize(text: string): Parsed<number> {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(text);
  const bytes = match ? Number(match[1]) * (BYTE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    return fail(`must be a positive size such as 100kb, 1mb or a byte count like 102400 (got ${quote(text)})`);
  }
  if (bytes > MAX_BODY_LIMIT_BYTES) return fail(`must be at most 100mb (got ${quote(text)})`);
  return ok(bytes);
}

/**
 * One CORS origin, exactly as browsers send it in `Origin`: scheme, host and optional port. Returned in
 * canonical form (lowercase host, default port dropped) so the CORS layer can compare strings.
 */
export function parseOrigin(entry: string): Parsed<string> {
  if (entry.includes('*') || entry.toLowerCase() === 'null') {
    return fail(
      `must list exact origins; ${quote(entry)} would let any web site call the API in its users' name. ` +
        'List each allowed origin, e.g. https://app.example.com',
    );
  }
  const shape = /^https?:\/\/[^/?#@\s]+$/i;
  let origin: string | undefined;
  if (shape.test(entry)) {
    try {
      origin = new URL(entry).origin;
    } catch {
      origin = undefined;
    }
  }
  if (origin === undefined || origin === 'null') {
    return fail(
      `entries must be http(s)://host[:port] with no path, query or trailing slash, e.g. https://app.example.com ` +
        `(got ${quote(entry)})`,
    );
  }
  return ok(origin);
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A bare host name (lowercased, trailing dot dropped) or IP literal. IP literals are accepted because the
 * preview fetcher still refuses private addresses after resolution; this check only catches typos.
 */
export function parseHostName(entry: string): Parsed<string> {
  const host = entry.toLowerCase().replace(/\.$/, '');
  if (isIP(host) !== 0) return ok(host);
  if (host.includes('*')) return fail(`does not support wildcards; list each host name (got ${quote(entry)})`);
  if (host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label))) return ok(host);
  return fail(
    `entries must be bare host names such as api.example.com, without scheme, port or path (got ${quote(entry)})`,
  );
}

const NAMED_SUBNETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isIpOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** An IP address or CIDR range (`127.0.0.1/32`, `::1/128`), lowercased. */
export function parseCidr(entry: string): Parsed<string> {
  const lower = entry.toLowerCase();
  return isIpOrCidr(lower)
    ? ok(lower)
    : fail(`entries must be IP addresses or CIDR ranges such as 127.0.0.1/32 or ::1/128 (got ${quote(entry)})`);
}

/**
 * Express `trust proxy`: a hop count, or the addresses of the proxies in front of the app. `true` is
 * refused because it trusts whatever X-Forwarded-For the client sends.
 */
export function parseTrustProxy(text: string): Parsed<TrustProxySetting> {
  const lower = text.toLowerCase();
  if (lower === 'true') {
    return fail(
      'must not be true: that trusts X-Forwarded-For from every client, so anyone could spoof their IP address ' +
        'and escape per-IP rate limits and lockouts. Give the number of proxies in front of the app instead, ' +
        'e.g. TRUST_PROXY=1, or their addresses, e.g. TRUST_PROXY=10.0.0.0/8',
    );
  }
  // `false` means the same as unset or 0: ignore X-Forwarded-* entirely.
  if (lower === 'false') return ok(0);
  if (/^\d+$/.test(text)) return parseInteger(text, 0, 100);
  const entries = parseList(lower);
  const bad = entries.filter((entry) => !NAMED_SUBNETS.has(entry) && !isIpOrCidr(entry));
  if (entries.length === 0 || bad.length > 0) {
    return fail(
      'must be a hop count (e.g. 1), loopback, or a comma list of proxy IP addresses or CIDR ranges ' +
        `(e.g. 10.0.0.1, 192.168.0.0/16)${bad.length > 0 ? `; not understood: ${bad.map(quote).join(', ')}` : ''}`,
    );
  }
  return ok(entries);
}

/** True when `text` is a URL with something after `scheme://`. */
function urlParses(text: string, scheme: string): boolean {
  try {
    return new URL(text).href.length > `${scheme}://`.length;
  } catch {
    return false;
  }
}

/**
 * Checks that a connection URL uses one of the given schemes and parses. The value is never quoted back:
 * connection URLs usually carry a password.
 */
export function parseConnectionUrl(text: string, schemes: readonly string[], example: string): Parsed<string> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme) || !urlParses(text, scheme)) {
    return fail(
      `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}, e.g. ${example}, or be left unset`,
    );
  }
  return ok(text);
}
