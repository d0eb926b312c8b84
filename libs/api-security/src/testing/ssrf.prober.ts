import { httpMethod, send, type HttpTarget, type RequestHeaders } from './http-target';
import type { LoopbackCanary } from './loopback.canary';
import { ssrfPayloads, type SsrfPayload } from './ssrf.payloads';

/** What `probeSsrf` needs: the route taking a URL, the caller and the canary. */
export interface SsrfProbeOptions {
  /** Route taking a URL, e.g. `/api/v1/previews`. */
  path: string;
  /** @default 'POST' */
  method?: string;
  headers?: RequestHeaders;
  /** The request body for a payload URL. @default (url) => ({ url }) */
  body?: (url: string) => unknown;
  /** A started canary: payloads point at its port, and any connection it receives is reported. */
  canary?: LoopbackCanary;
  /** Payloads to send. @default ssrfPayloads({ port: canary?.port, allowedHost }) */
  payloads?: readonly SsrfPayload[];
  allowedHost?: string;
  /** Statuses that count as a refusal. @default [400] */
  refused?: readonly number[];
}

/** One SSRF payload the target did not refuse. */
export interface SsrfFinding {
  readonly payload: SsrfPayload;
  readonly status: number;
  /** Connections plus requests the canary received during this payload's request. */
  readonly canaryConnections: number;
  readonly message: string;
}

/** What `probeSsrf` found. */
export interface SsrfReport {
  readonly sent: number;
  /** Payloads not refused, or that reached the canary. Must be empty. */
  readonly findings: SsrfFinding[];
}

/**
 * Posts every SSRF payload to a route that fetches URLs and reports each one that was not
 * refused or that reached the loopback canary.
 */
export async function probeSsrf(target: HttpTarget, options: SsrfProbeOptions): Promise<SsrfReport> {
  const method = httpMethod(options.method ?? 'POST');
  if (!method) throw new Error(`probeSsrf: unsupported method ${String(options.method)}.`);
  const refused = options.refused ?? [400];
  const body = options.body ?? ((url: string) => ({ url }));
  const payloads =
    options.payloads ??
    ssrfPayloads({
      ...(options.canary ? { port: options.canary.port } : {}),
      ...(options.allowedHost ? { allowedHost: options.allowedHost } : {}),
    });
  const findings: SsrfFinding[] = [];
  for (const payload of payloads) {
    const canary = options.canary;
    const before = canary ? canary.connections + canary.requests.length : 0;
    const res = await send(target, method, options.path, options.headers ?? {}, body(payload.url));
    // A kept-alive connection carries several requests, so new requests count as well as new connections.
    const reached = canary ? canary.connections + canary.requests.length - before : 0;
    const problems: string[] = [];
    if (!refused.includes(res.status)) problems.push(`answered ${res.status}, expected ${refused.join(' or ')}`);
    if (reached > 0) problems.push('reached the loopback canary');
    if (problems.length > 0) {
      findings.push({ payload, status: res.status, canaryConnections: reached, message: problems.join('; ') });
    }
  }
  return { sent: payloads.length, findings };
}
