import type { SecurityRequest } from '../common/security-principal';
import { rawRequest, requestPath } from '../common/raw-http';
import type { SecurityEvent } from './security-event';

/**
 * Where a security event happened: the route (the compiled plan's key when known, else the method
 * and path without the query), the request id and the client IP. Shared by every step that emits.
 */
export function eventContext(
  request: SecurityRequest,
  route?: string,
): Pick<SecurityEvent, 'route' | 'requestId' | 'ip'> {
  // The hardening middleware stores the id on Node's request, which Fastify wraps in `raw`.
  const requestId = request.requestId ?? (rawRequest(request) as { requestId?: unknown }).requestId;
  return {
    route: route ?? `${request.method} ${requestPath(request)}`,
    ...(typeof requestId === 'string' ? { requestId } : {}),
    ...(request.ip ? { ip: request.ip } : {}),
  };
}
