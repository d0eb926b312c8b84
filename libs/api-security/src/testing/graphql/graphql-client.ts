import { send, type HttpTarget, type KitResponse, type RequestHeaders } from '../http-target';

/**
 * One GraphQL operation as sent over HTTP: the `query` document, its `variables` and, for a
 * document with several operations, the `operationName`.
 * @public
 */
export interface GraphqlOperation {
  /** The document's text. */
  readonly query: string;
  /** The operation's variables. */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Which operation of the document to run. */
  readonly operationName?: string;
}

/**
 * One error of a GraphQL response, as the kit reads it: only the members it looks at, loosely typed
 * since the server under test may send anything.
 * @public
 */
export interface GraphqlErrorLike {
  /** The error's message. */
  readonly message?: unknown;
  /** The response path of the field that failed. */
  readonly path?: unknown;
  /** The error's extensions (`code` in particular). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * A GraphQL response body (one element of a batch's answer).
 * @public
 */
export interface GraphqlResult {
  /** The data, `null` when the operation failed as a whole. */
  readonly data?: unknown;
  /** The errors, absent when there are none. */
  readonly errors?: readonly GraphqlErrorLike[];
}

/** What a GraphQL HTTP call returned: the status, the raw text and the parsed answers. */
export interface GraphqlHttpAnswer {
  readonly status: number;
  readonly text: string;
  /** The parsed body: one result, an array of results (a batch), or whatever else the server sent. */
  readonly body: unknown;
}

/** POSTs one operation or a batch (an array) as JSON to `path`. */
export async function postGraphql(
  target: HttpTarget,
  path: string,
  headers: RequestHeaders,
  body: GraphqlOperation | readonly GraphqlOperation[],
): Promise<GraphqlHttpAnswer> {
  const response: KitResponse = await send(
    target,
    'post',
    path,
    { 'Content-Type': 'application/json', ...headers },
    body,
  );
  const text = response.text ?? JSON.stringify(response.body ?? null);
  return { status: response.status, text, body: response.body ?? parseJson(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether a parsed body looks like a GraphQL result (an object with `data` or `errors`). */
export function isGraphqlResult(body: unknown): body is GraphqlResult {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && ('data' in body || 'errors' in body);
}

/** The results of an answer: one for a single operation, each element for a batch, none for anything else. */
export function resultsOf(body: unknown): GraphqlResult[] {
  if (Array.isArray(body)) return body.filter(isGraphqlResult);
  return isGraphqlResult(body) ? [body] : [];
}

/** The `extensions.code` of every error that has a string one. */
export function errorCodes(result: GraphqlResult): string[] {
  return (result.errors ?? [])
    .map((error) => error?.extensions?.code)
    .filter((code): code is string => typeof code === 'string');
}
