import type { HttpTarget, RequestHeaders } from '../http-target';
import { PROBLEM_LEAKS } from '../problem-details.checker';
import {
  postGraphql,
  resultsOf,
  type GraphqlHttpAnswer,
  type GraphqlOperation,
  type GraphqlResult,
} from './graphql-client';

/**
 * What `checkGraphqlExposure` sends, and with what.
 * @public
 */
export interface GraphqlExposureOptions {
  /** The endpoint's path. @default '/graphql' */
  readonly path?: string;
  /** Credentials to send (introspection allowed to admins only is checked as someone else). @default none */
  readonly headers?: RequestHeaders;
  /**
   * Documents that fail inside a resolver (a broken dependency, an invalid id): their errors are
   * checked for stack traces and internal messages, like those of the built-in probes.
   */
  readonly errorQueries?: readonly string[];
  /**
   * Documents that select a misspelled field of the schema (`{ ordr { id } }`): a "Did you mean"
   * in the error reveals the real name. The built-in probe misspells the `Query` type's name.
   */
  readonly suggestionQueries?: readonly string[];
}

/**
 * Which kind of exposure a finding is.
 * @public
 */
export type GraphqlExposureKind = 'introspection' | 'suggestion' | 'stack-trace' | 'internal-message';

/**
 * Something the endpoint revealed.
 * @public
 */
export interface GraphqlExposureFinding {
  /** What was revealed. */
  readonly kind: GraphqlExposureKind;
  /** The probe that revealed it (`__schema`, `__type`, `suggestion: …`, `error: …`). */
  readonly probe: string;
  /** The HTTP status of that answer. */
  readonly status: number;
  /** What is wrong. */
  readonly message: string;
}

/**
 * What `checkGraphqlExposure` found. `findings` must be empty for a hardened endpoint.
 * @public
 */
export interface GraphqlExposureReport {
  /** The probes sent. */
  readonly probed: string[];
  /** What they revealed. */
  readonly findings: GraphqlExposureFinding[];
}

const SCHEMA_PROBE = '{ __schema { queryType { name } types { name } } }';
const TYPE_PROBE = '{ __type(name: "Query") { name fields { name } } }';
// An inline fragment on a misspelled root type name: graphql-js's KnownTypeNames rule suggests
// "Query" whatever the schema holds, unless the server strips suggestions.
const TYPE_SUGGESTION_PROBE = '{ __typename ... on Quer { __typename } }';
// Malformed documents, whose errors come from the server's parser and validation.
const MALFORMED_PROBES = ['{', '{ __type(name: 1) { name } }', 'query ($x: NoSuchType) { __typename }'];
const SUGGESTION = /did you mean/i;
const STACK_MEMBERS = /"(?:stacktrace|stack|exception)"\s*:/;
const CONNECTION_STRING =
  /\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis|amqp):\/\/|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/i;

/**
 * Schema-exposure checker for a GraphQL endpoint (OWASP API8/API9): reports introspection answered
 * (`__schema` or `__type` returning data), field and type suggestions ("Did you mean …?") in
 * errors, and errors carrying a stack trace (`extensions.stacktrace`, `at fn (file:line)`), a file
 * path, SQL or a connection string. Sends introspection, a misspelled type name, malformed
 * documents and the caller's `errorQueries` / `suggestionQueries`, each as the given `headers`.
 *
 * `target` is a Nest application, a Node HTTP server or listener, or a base URL. Requires
 * `supertest` (an optional peer).
 * @public
 */
export async function checkGraphqlExposure(
  target: HttpTarget,
  options: GraphqlExposureOptions = {},
): Promise<GraphqlExposureReport> {
  const path = options.path ?? '/graphql';
  const report: GraphqlExposureReport = { probed: [], findings: [] };
  const ask = async (probe: string, operation: GraphqlOperation): Promise<GraphqlHttpAnswer> => {
    report.probed.push(probe);
    const answer = await postGraphql(target, path, options.headers ?? {}, operation);
    report.findings.push(...errorLeaks(probe, answer));
    return answer;
  };

  for (const [probe, query, field] of [
    ['__schema', SCHEMA_PROBE, '__schema'],
    ['__type', TYPE_PROBE, '__type'],
  ] as const) {
    const answer = await ask(probe, { query });
    if (resultsOf(answer.body).some((result) => hasData(result, field))) {
      report.findings.push({
        kind: 'introspection',
        probe,
        status: answer.status,
        message: `introspection answered: ${field} returned the schema`,
      });
    }
  }

  const suggestionProbes = [TYPE_SUGGESTION_PROBE, ...(options.suggestionQueries ?? [])];
  for (const query of suggestionProbes) {
    const probe = `suggestion: ${query}`;
    const answer = await ask(probe, { query });
    if (resultsOf(answer.body).some((result) => messages(result).some((message) => SUGGESTION.test(message)))) {
      report.findings.push({
        kind: 'suggestion',
        probe,
        status: answer.status,
        message: 'an error suggests names of the schema ("Did you mean …?")',
      });
    }
  }

  for (const query of [...MALFORMED_PROBES, ...(options.errorQueries ?? [])]) await ask(`error: ${query}`, { query });
  return report;
}

/** Stack traces and internal messages in an answer's errors (the data is the app's business). */
function errorLeaks(probe: string, answer: GraphqlHttpAnswer): GraphqlExposureFinding[] {
  const results = resultsOf(answer.body);
  // A non-GraphQL body (an HTML error page, a plain-text 500) is checked whole.
  const text = results.length > 0 ? JSON.stringify(results.map((result) => result.errors ?? [])) : answer.text;
  const findings: GraphqlExposureFinding[] = [];
  const stack = PROBLEM_LEAKS.find((leak) => leak.name === 'a stack trace');
  if (STACK_MEMBERS.test(text) || stack?.pattern.test(text.replace(/\\n/g, '\n'))) {
    findings.push({ kind: 'stack-trace', probe, status: answer.status, message: 'an error carries a stack trace' });
  }
  for (const leak of PROBLEM_LEAKS) {
    if (leak.name === 'a stack trace' || leak.name === 'a library name') continue;
    if (leak.pattern.test(text)) {
      findings.push({ kind: 'internal-message', probe, status: answer.status, message: `an error leaks ${leak.name}` });
    }
  }
  if (CONNECTION_STRING.test(text)) {
    findings.push({
      kind: 'internal-message',
      probe,
      status: answer.status,
      message: 'an error leaks a connection string or a network error',
    });
  }
  return findings;
}

function hasData(result: GraphqlResult, field: string): boolean {
  const data = result.data as Record<string, unknown> | null | undefined;
  return typeof data === 'object' && data !== null && data[field] !== null && data[field] !== undefined;
}

function messages(result: GraphqlResult): string[] {
  return (result.errors ?? []).map((error) => (typeof error?.message === 'string' ? error.message : ''));
}
