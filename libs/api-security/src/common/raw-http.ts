import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Express requests are Node's IncomingMessage; Fastify wraps it in `raw`. Hardening works on the
 * Node objects so that it behaves the same on both adapters.
 */
export function rawRequest(req: unknown): IncomingMessage {
  const r = req as { raw?: IncomingMessage };
  return r.raw ?? (req as IncomingMessage);
}

export function rawResponse(res: unknown): ServerResponse {
  const r = res as { raw?: ServerResponse };
  return r.raw ?? (res as ServerResponse);
}

/** The path as the client sent it, without the query (which may carry secrets). Express rewrites `url` under mounts. */
export function requestPath(req: unknown): string {
  const r = req as { originalUrl?: string; url?: string; raw?: { url?: string } };
  const url = r.originalUrl ?? r.raw?.url ?? r.url ?? '/';
  return url.split('?')[0] || '/';
}
