import type { IncomingHttpHeaders } from 'node:http';
import request from 'supertest';

/**
 * What the kit sends requests to: a Nest application (`app`), a Node HTTP server, a request
 * listener, or a base URL (`http://127.0.0.1:3000`).
 */
export type HttpTarget = { getHttpServer(): unknown } | Parameters<typeof request>[0];

/** The parts of an HTTP response the checkers read; a supertest `Response` fits. */
export interface HttpResponseLike {
  readonly status: number;
  readonly headers: IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;
  readonly text?: string;
}

/** Request headers, e.g. `{ Authorization: 'Bearer …' }` for one principal. */
export type RequestHeaders = Readonly<Record<string, string>>;

/** A supertest agent for `target`. */
export function httpAgent(target: HttpTarget): ReturnType<typeof request> {
  if (typeof target === 'object' && target !== null && 'getHttpServer' in target) {
    return request(target.getHttpServer() as Parameters<typeof request>[0]);
  }
  return request(target);
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
): Promise<request.Response> {
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
