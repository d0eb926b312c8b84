import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The response field carrying the request's id, in lowercase as it goes on the wire (see `lowerCased`). */
export const REQUEST_ID_FIELD = 'x-request-id';

/** Incoming ids are echoed only when they are short and plain: anything else could inject into logs. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type WithRequestId = IncomingMessage & { requestId?: string };

/** The request's id: already assigned, a safe incoming `X-Request-Id`, or a new UUID. Idempotent. */
export function assignRequestId(req: IncomingMessage): string {
  const carrier = req as WithRequestId;
  if (carrier.requestId) return carrier.requestId;
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  carrier.requestId = id;
  return id;
}
