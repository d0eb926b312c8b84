import { headerValue, type HttpResponseLike } from './http-target';

/** Expectations for `checkProblemDetails`/`assertProblemDetails`. */
export interface ProblemDetailsCheckOptions {
  /** The HTTP status expected. */
  status?: number;
  /** The stable `code` expected (`ERR_…`). */
  code?: string;
}

/** The members every problem carries (RFC 9457 plus the contract's `requestId` and `code`). */
export const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'instance', 'requestId', 'code'] as const;

/** What must never reach a client: stack frames, SQL, file paths, the names of the libraries behind the API. */
export const PROBLEM_LEAKS: readonly { name: string; pattern: RegExp }[] = [
  { name: 'a stack trace', pattern: /\bat [\w$.<>]+ \(|\n\s+at |\bError: .*\n/ },
  {
    name: 'SQL',
    pattern:
      /\b(?:SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|syntax error at or near|SQLITE_|ER_\w+:|QueryFailedError|duplicate key value/i,
  },
  {
    name: 'a file path',
    pattern:
      /(?:\/(?:home|usr|var|opt|app|srv|tmp|Users|root)\/[\w.-]+|[A-Z]:\\\\?[\w.-]+|node_modules|\.(?:ts|js|mjs|cjs):\d+)/,
  },
  {
    name: 'a library name',
    pattern:
      /\b(?:typeorm|nestjs|@nestjs|express|fastify|passport|jsonwebtoken|jose|class-validator|class-transformer|ioredis|sequelize|prisma|mongoose|knex|helmet|undici|axios)\b/i,
  },
];

/**
 * The problems with an error response, per RFC 9457 and the contract: `application/problem+json`,
 * exactly `type, title, status, detail, instance, requestId, code` (plus `errors: [{ field,
 * message }]` on validation failures), `status` equal to the HTTP status, `requestId` equal to the
 * `X-Request-Id` header, `code` like `ERR_…`, nothing leaked (stack, SQL, path, library names),
 * `WWW-Authenticate: Bearer…` (or `DPoP…`, RFC 9449) on 401 and `Retry-After` on 429. Empty when all is well.
 */
export function checkProblemDetails(response: HttpResponseLike, options: ProblemDetailsCheckOptions = {}): string[] {
  const problems: string[] = [];
  const { status } = response;
  if (options.status !== undefined && status !== options.status)
    problems.push(`status is ${status}, expected ${options.status}`);
  if (status < 400) problems.push(`status ${status} is not an error`);
  const contentType = headerValue(response, 'content-type');
  if (!contentType || !/^application\/problem\+json\s*(;|$)/i.test(contentType)) {
    problems.push(`Content-Type must be application/problem+json (got ${JSON.stringify(contentType)})`);
  }
  const text = response.text ?? '';
  for (const leak of PROBLEM_LEAKS) if (leak.pattern.test(text)) problems.push(`the body leaks ${leak.name}`);
  if (status === 401 && !/^(?:Bearer|DPoP)\b/.test(headerValue(response, 'www-authenticate') ?? '')) {
    problems.push('a 401 must carry WWW-Authenticate: Bearer (or DPoP)');
  }
  if (status === 429) {
    const retryAfter = headerValue(response, 'retry-after');
    if (!retryAfter || !(/^\d+$/.test(retryAfter.trim()) || !Number.isNaN(Date.parse(retryAfter)))) {
      problems.push(`a 429 must carry Retry-After in seconds or as an HTTP-date (got ${JSON.stringify(retryAfter)})`);
    }
  }

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push('the body is not JSON');
    return problems;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.push('the body is not a JSON object');
    return problems;
  }
  const members = body as Record<string, unknown>;
  const missing = PROBLEM_MEMBERS.filter((name) => !Object.hasOwn(members, name));
  if (missing.length > 0) problems.push(`missing member(s): ${missing.join(', ')}`);
  const extra = Object.keys(members).filter(
    (name) => !(PROBLEM_MEMBERS as readonly string[]).includes(name) && name !== 'errors',
  );
  if (extra.length > 0) problems.push(`unexpected member(s): ${extra.join(', ')}`);
  for (const name of ['type', 'title', 'detail', 'instance', 'requestId'] as const) {
    if (Object.hasOwn(members, name) && typeof members[name] !== 'string') problems.push(`${name} must be a string`);
  }
  if (members.status !== status)
    problems.push(`status member ${JSON.stringify(members.status)} differs from the HTTP status ${status}`);
  if (typeof members.code !== 'string' || !/^ERR_[A-Z0-9_]+$/.test(members.code)) {
    problems.push(`code must be a stable ERR_… code (got ${JSON.stringify(members.code)})`);
  } else if (options.code !== undefined && members.code !== options.code) {
    problems.push(`code is ${members.code}, expected ${options.code}`);
  }
  const requestId = headerValue(response, 'x-request-id');
  if (typeof members.requestId === 'string' && members.requestId !== requestId) {
    problems.push(
      `requestId ${JSON.stringify(members.requestId)} differs from X-Request-Id ${JSON.stringify(requestId)}`,
    );
  }
  if (Object.hasOwn(members, 'errors')) {
    const errors = members.errors;
    const wellFormed =
      Array.isArray(errors) &&
      errors.every(
        (e: unknown) =>
          typeof e === 'object' &&
          e !== null &&
          typeof (e as Record<string, unknown>).field === 'string' &&
          typeof (e as Record<string, unknown>).message === 'string',
      );
    if (!wellFormed) problems.push('errors must be an array of { field, message } strings');
  }
  return problems;
}

/** Throws an Error listing every problem {@link checkProblemDetails} finds; returns the parsed body. */
export function assertProblemDetails(
  response: HttpResponseLike,
  options: ProblemDetailsCheckOptions = {},
): Record<string, unknown> {
  const problems = checkProblemDetails(response, options);
  if (problems.length > 0) {
    throw new Error(
      `Problem details (${response.status}):\n  - ${problems.join('\n  - ')}\n  body: ${(response.text ?? '').slice(0, 500)}`,
    );
  }
  return JSON.parse(response.text ?? '') as Record<string, unknown>;
}
