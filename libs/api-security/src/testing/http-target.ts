import type { IncomingHttpHeaders, RequestListener, Server } from 'node:http';
import type Supertest from 'supertest';
import { loadOptional } from '../common/optional-dependency';

/**
 * What the kit sends requests to: a Nest application (`app`), a Node HTTP server, a request
 * listener, or a base URL (`http://127.0.0.1:3000`).
 * @public
 */
export type HttpTarget = { getHttpServer(): unknown } | Server | RequestListener | string;

/**
 * The parts of an HTTP response the checkers read; a supertest `Response` fits.
 * @public
 */
export interface HttpResponseLike {
  /** The status code. */
  readonly status: number;
  /** The header fields, names in lower case. */
  readonly headers: IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;
  /** The body as text, when the client read it. */
  readonly text?: string;
}

/** A response the probers read: status, headers and the parsed body. */
export interface KitResponse extends HttpResponseLike {
  readonly body: unknown;
}

/**
 * Request headers, e.g. `{ Authorization: 'Bearer …' }` for one principal.
 * @public
 */
export type RequestHeaders = Readonly<Record<string, string>>;

type SupertestAgent = ReturnType<typeof Supertest>;

/** A supertest agent for `target`; supertest is loaded on first use (an optional peer). */
function httpAgent(target: HttpTarget): SupertestAgent {
  const request = loadOptional(
    'supertest',
    "The test kit's HTTP probers (probeBola, probeMassAssignment, probeSsrf)",
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    () => require('supertest') as typeof Supertest,
  );
  if (typeof target === 'object' && target !== null && 'getHttpServer' in target) {
    return request(target.getHttpServer() as Parameters<typeof Supertest>[0]);
  }
  return request(target as Parameters<typeof Supertest>[0]);
}

/** Methods the kit sends, lower-cased as supertest names them. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

const METHODS: ReadonlySet<string> = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/** `GET` → `get`; undefined for a method the kit does not send (`ALL`, `SEARCH`…). */
export function httpMethod(method: string): HttpMethod | undefined {
  const lower = method.toLowerCase();
  return METHODS.has(lower) ? (lower as HttpMethod) : undefined;
}

/** Sends one request with headers and an optional JSON body. */
export function send(
  target: HttpTarget,
  method: HttpMethod,
  path: string,
  headers: RequestHeaders = {},
  body?: unknown,
): Promise<KitResponse> {
  let req = httpAgent(target)[method](path);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return body === undefined ? req : req.send(body as object);
}

/** A header's value as one string (arrays joined with `, `), or undefined. */
export function headerValue(response: HttpResponseLike, name: string): string | undefined {
  const value = (response.headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Fills `:param` segments of a route path; returns the names it had no value for. */
export function fillPath(path: string, values: Readonly<Record<string, string>>): { path: string; missing: string[] } {
  const missing: string[] = [];
  const filled = path.replace(/:([A-Za-z_$][\w$]*)/g, (_match, name: string) => {
    if (!Object.hasOwn(values, name)) {
      missing.push(name);
      return `:${name}`;
    }
    return encodeURIComponent(values[name] as string);
  });
  return { path: filled, missing };
}
