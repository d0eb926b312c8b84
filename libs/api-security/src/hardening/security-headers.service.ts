import { Inject, Injectable } from '@nestjs/common';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { requestPath } from '../common/raw-http';
import { assignRequestId, REQUEST_ID_FIELD } from './request-id';

type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
type HeaderList = readonly (readonly [string, string])[];

/**
 * A header list as the hot path reads it: names and values in two plain arrays. Read from frozen
 * `[name, value]` pairs, every element load went through V8's generic keyed-load stub (about 2,200
 * instructions per response for the ten headers, by callgrind); plain arrays of strings are loaded
 * inline. Never handed out, so nothing can change them after boot.
 */
interface HeaderColumns {
  readonly names: string[];
  readonly values: string[];
}

function columnsOf(headers: HeaderList): HeaderColumns {
  return { names: headers.map(([name]) => name), values: headers.map(([, value]) => value) };
}

const CACHE_CONTROL: readonly [string, string] = Object.freeze(['Cache-Control', 'no-store'] as const);

/** Set on a response once its headers are applied, so the middleware does not set them a second time. */
const APPLIED = Symbol('api-security.headersApplied');
type MarkedResponse = ServerResponse & { [APPLIED]?: true };

const API_CSP = { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } };
/**
 * What Swagger UI (as `SwaggerModule.setup` serves it) needs and no more: its scripts are files of
 * its own, its page has inline `<style>` blocks, its icons are `data:` images, "Try it out" calls
 * the API itself. No inline script, no eval, no framing.
 */
const DOCS_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * What helmet sets that only a browser rendering an HTML document acts on: a JSON response is never
 * a document (nosniff and `default-src 'none'` see to it), so on API responses these only cost
 * bytes and header writes on every request. OWASP's REST Security Cheat Sheet lists the same split.
 * Documentation paths (HTML) keep them, and `hardening.htmlHeaders: 'all'` sends them everywhere.
 */
const HTML_ONLY_HEADERS: ReadonlySet<string> = new Set([
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]);

/**
 * Sets the headers every response carries: request id, helmet's set tuned for a JSON API,
 * `Cache-Control: no-store`. Paths under `hardening.documentationPaths` get the documentation CSP
 * instead of `default-src 'none'`, and helmet's HTML-only headers. Applied to every request by `HttpServerHardener` when the server
 * lets it listen first; the middleware applies them only where that did not happen, and the error
 * filter applies them again (idempotent) in case anything removed them before the error.
 */
@Injectable()
export class SecurityHeadersService {
  private readonly api: HeaderColumns;
  private readonly docs: HeaderColumns;
  private readonly docPaths: readonly string[];

  constructor(@Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions) {
    const common = {
      strictTransportSecurity: { maxAge: options.hardening.hstsMaxAgeSeconds, includeSubDomains: true },
      referrerPolicy: { policy: 'no-referrer' as const },
      crossOriginResourcePolicy: { policy: 'same-origin' as const },
      xFrameOptions: { action: 'deny' as const },
    };
    const api = headersOf(helmet({ ...common, contentSecurityPolicy: API_CSP }) as unknown as NodeMiddleware);
    this.api = columnsOf(
      lowerCased([
        ...(options.hardening.htmlHeaders === 'all'
          ? api
          : api.filter(([name]) => !HTML_ONLY_HEADERS.has(name.toLowerCase()))),
        CACHE_CONTROL,
      ]),
    );
    this.docs = columnsOf(
      lowerCased([
        ...headersOf(helmet({ ...common, contentSecurityPolicy: DOCS_CSP }) as unknown as NodeMiddleware),
        CACHE_CONTROL,
      ]),
    );
    this.docPaths = options.hardening.documentationPaths;
  }

  /** Applies the headers and returns the request id. */
  apply(req: IncomingMessage, res: ServerResponse): string {
    const requestId = this.applyFirst(req, res);
    // Only a late call (the error filter) can find a framework's X-Powered-By already set.
    if (!res.headersSent) res.removeHeader('X-Powered-By');
    return requestId;
  }

  /**
   * {@link apply} on a response nothing has written to yet: the HTTP server's `request` listener,
   * which runs before any framework code, so there is no `X-Powered-By` to remove.
   */
  applyFirst(req: IncomingMessage, res: ServerResponse): string {
    const requestId = assignRequestId(req);
    if (res.headersSent) return requestId;
    res.setHeader(REQUEST_ID_FIELD, requestId);
    const headers = this.docPaths.length > 0 && this.isDocs(requestPath(req)) ? this.docs : this.api;
    const { names, values } = headers;
    for (let i = 0; i < names.length; i++) res.setHeader(names[i], values[i]);
    (res as MarkedResponse)[APPLIED] = true;
    return requestId;
  }

  private isDocs(url: string): boolean {
    return this.docPaths.some((p) => url === p || url.startsWith(`${p}/`));
  }

  /** {@link apply}, unless this response already has the headers (the hot path sets them once). */
  applyOnce(req: IncomingMessage, res: ServerResponse): void {
    if ((res as MarkedResponse)[APPLIED] !== true) this.apply(req, res);
  }
}

/**
 * The list with its names in lowercase, as they go on the wire. Node lower-cases every name given to
 * `setHeader` to key its header table; a name already in lowercase comes back as the same string, so
 * no new string is made and interned per header and per response (about 6,000 instructions per
 * response for the ten headers, counted by `npm run bench:instructions`). Field names are
 * case-insensitive in HTTP/1.1 and lowercase only in HTTP/2.
 */
function lowerCased(headers: HeaderList): HeaderList {
  return Object.freeze(headers.map(([name, value]) => Object.freeze([name.toLowerCase(), value] as const)));
}

/**
 * The headers a helmet middleware sets, captured once at boot. With these options helmet's output
 * does not depend on the request (no nonces), so replaying the list per request gives the same
 * headers without running helmet's middleware chain every time.
 */
function headersOf(middleware: NodeMiddleware): HeaderList {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      const index = headers.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
      const entry: [string, string] = [name, Array.isArray(value) ? value.join(', ') : String(value)];
      if (index >= 0) headers[index] = entry;
      else headers.push(entry);
    },
    removeHeader: (name: string) => {
      const index = headers.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
      if (index >= 0) headers.splice(index, 1);
    },
    getHeader: () => undefined,
  } as unknown as ServerResponse;
  let called = false;
  middleware({ headers: {}, method: 'GET', url: '/' } as IncomingMessage, recorder, (error) => {
    if (error) throw error;
    called = true;
  });
  // helmet calls next synchronously; if a future version did not, the list would be incomplete.
  if (!called) throw new Error('helmet did not finish synchronously; security headers cannot be precomputed.');
  return Object.freeze(headers.map((entry) => Object.freeze(entry)));
}
