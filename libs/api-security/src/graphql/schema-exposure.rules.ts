import { createHash } from 'node:crypto';
import { parse, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../errors/codes';
import { ErrorMessages } from '../errors/messages';

/** Stable `extensions.code` of the schema-exposure refusals (OWASP API8/API9). */
export const GraphqlExposureCode = {
  /** An operation selects `__schema` or `__type` where introspection is not allowed to the caller. */
  INTROSPECTION: 'ERR_GRAPHQL_INTROSPECTION',
  /** A document not in the persisted-query allowlist, or a hash the allowlist does not know. */
  PERSISTED_QUERY: 'ERR_GRAPHQL_PERSISTED_QUERY',
  /** The document does not parse or validate against the schema (suggestions removed from the message). */
  INVALID_DOCUMENT: 'ERR_GRAPHQL_VALIDATION',
} as const;
/** One of the stable {@link GraphqlExposureCode} values. */
export type GraphqlExposureCode = (typeof GraphqlExposureCode)[keyof typeof GraphqlExposureCode];

/**
 * The hash a persisted query is known by: the SHA-256 of the document's exact text, lower-case hex
 * (what Apollo's automatic persisted queries send as `extensions.persistedQuery.sha256Hash`).
 *
 * @example
 * ```ts
 * const allowlist = Object.fromEntries(documents.map((doc) => [graphqlOperationHash(doc), doc]));
 * ```
 */
export function graphqlOperationHash(document: string): string {
  return createHash('sha256').update(document, 'utf8').digest('hex');
}

/** graphql-js ends a message with its suggestions ("Did you mean …?"): they reveal names of the schema. */
const SUGGESTION = /\s*Did you mean\b[\s\S]*$/;

/** The message without graphql-js's "Did you mean …?" suggestions. */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/** Selects `__schema` or `__type` (not `__typename`, which names a type the client already has). */
export function isIntrospectionDocument(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return false;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Whether the text is an introspection query. Cheap for every other request: the field's name must
 * appear literally (GraphQL names have no escapes), so only a text containing `__schema` or `__type`
 * is parsed. A text that does not parse is left to the driver, which refuses it.
 */
export function isIntrospectionText(text: string): boolean {
  if (!text.includes('__schema') && !text.includes('__type')) return false;
  let document: DocumentNode;
  try {
    document = parse(text, { noLocation: true });
  } catch {
    return false;
  }
  return isIntrospectionDocument(document);
}

/** The library's stable codes all start so; a driver's own (`GRAPHQL_VALIDATION_FAILED`) do not. */
const LIBRARY_CODE = /^ERR_[A-Z0-9_]+$/;

/** A driver's codes for a document refused before execution: its message is about the client's own text. */
const DOCUMENT_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Apollo's automatic persisted queries protocol: clients branch on these codes to resend the document. */
const PROTOCOL_CODES: ReadonlySet<string> = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/** Extensions that may carry internals (stack traces, the original exception). */
const INTERNAL_EXTENSIONS: ReadonlySet<string> = new Set(['stacktrace', 'exception', 'originalError', 'stack']);

/** What {@link maskGraphqlError} made of an error: the one to send, and the internal message to log, if any. */
export interface MaskedGraphqlError {
  readonly error: GraphQLFormattedError;
  /** The original message of an error that was replaced by the generic one: for the server's log only. */
  readonly internal?: string;
}

/**
 * One formatted error as a client may see it:
 * - the library's own errors (`extensions.code` `ERR_…`, set by the problem filter, the query limits,
 *   field visibility) keep their public message and code;
 * - an error about the document (parse, validation, variables: no `path`, a client status) keeps
 *   graphql-js's message without suggestions, code `ERR_GRAPHQL_VALIDATION` (Apollo's persisted
 *   query protocol codes are kept: clients need them);
 * - anything else (a resolver's `Error`, a `TypeError`, a failure in the context function) becomes
 *   the generic `ERR_INTERNAL` message; its own message is returned as `internal`, to be logged.
 *
 * Never a stack trace or an `exception` extension; `requestId` is added when given.
 */
export function maskGraphqlError(
  formatted: GraphQLFormattedError,
  status?: number,
  requestId?: string,
): MaskedGraphqlError {
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(formatted.extensions ?? {})) {
    if (!INTERNAL_EXTENSIONS.has(key)) extensions[key] = value;
  }
  const code = typeof extensions.code === 'string' ? extensions.code : undefined;
  const where = {
    ...(formatted.locations === undefined ? {} : { locations: formatted.locations }),
    ...(formatted.path === undefined ? {} : { path: formatted.path }),
  };
  const id = requestId === undefined ? {} : { requestId };
  if (code !== undefined && LIBRARY_CODE.test(code)) {
    return {
      error: { message: withoutSuggestions(formatted.message), ...where, extensions: { ...extensions, ...id } },
    };
  }
  const requestError = formatted.path === undefined && (status === undefined || status < 500);
  if (requestError && (code === undefined || DOCUMENT_CODES.has(code) || PROTOCOL_CODES.has(code))) {
    const kept = code !== undefined && PROTOCOL_CODES.has(code) ? code : GraphqlExposureCode.INVALID_DOCUMENT;
    return { error: { message: withoutSuggestions(formatted.message), ...where, extensions: { code: kept, ...id } } };
  }
  if (requestError && code === 'BAD_REQUEST') {
    return { error: { message: formatted.message, extensions: { code: ErrorCode.BAD_REQUEST, ...id } } };
  }
  return {
    error: {
      message: ErrorMessages[ErrorCode.INTERNAL].detail,
      ...where,
      extensions: { code: ErrorCode.INTERNAL, ...id },
    },
    internal: formatted.message,
  };
}

/** One GraphQL response body (or a batch of them), as the drivers serialize it. */
interface ResponseBody {
  errors?: GraphQLFormattedError[];
}

/**
 * Masks every error of a serialized GraphQL response (a single result or a batch); `undefined` when
 * there is nothing to change (no `errors`, or not JSON). `log` receives each internal message.
 */
export function maskGraphqlResponse(
  text: string,
  status: number,
  requestId: string,
  log: (internal: string) => void,
): string | undefined {
  // Most responses carry no error: no parse, no copy.
  if (!text.includes('"errors"')) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const results = (Array.isArray(body) ? body : [body]) as unknown[];
  let changed = false;
  for (const result of results) {
    if (typeof result !== 'object' || result === null) continue;
    const errors = (result as ResponseBody).errors;
    if (!Array.isArray(errors)) continue;
    (result as ResponseBody).errors = errors.map((error) => {
      const { error: masked, internal } = maskGraphqlError(error, status, requestId);
      if (internal !== undefined) log(internal);
      return masked;
    });
    changed = true;
  }
  return changed ? JSON.stringify(body) : undefined;
}
