import type { HttpTarget, RequestHeaders } from '../http-target';
import { graphqlBombs, type GraphqlBomb, type GraphqlBombKind } from './graphql-bombs';
import { errorCodes, postGraphql, resultsOf } from './graphql-client';

/**
 * What `probeGraphqlBombs` sends, and how it knows a resolver ran.
 * @public
 */
export interface GraphqlBombProbeOptions {
  /** The endpoint's path. @default '/graphql' */
  readonly path?: string;
  /** Credentials to send with each bomb. @default none */
  readonly headers?: RequestHeaders;
  /** The bombs to send. @default graphqlBombs() */
  readonly bombs?: readonly GraphqlBomb[];
  /**
   * How many resolver calls the app made so far (a counter the test app keeps): read before and
   * after each bomb, which must leave it unchanged. Without it only the answers are checked.
   */
  readonly resolverCalls?: () => number;
}

/**
 * How the server answered one bomb.
 * @public
 */
export interface GraphqlBombResult {
  /** The bomb's kind. */
  readonly kind: GraphqlBombKind;
  /** The bomb's description. */
  readonly description: string;
  /** The HTTP status. */
  readonly status: number;
  /** The `extensions.code` of every error of the answer (of each result, for a batch). */
  readonly codes: string[];
  /** Whether it was refused: no data at all, and an error with a code (or a 4xx/5xx problem-details `code`). */
  readonly refused: boolean;
  /** Resolver calls the bomb caused (undefined without `resolverCalls`). */
  readonly resolverCalls?: number;
}

/**
 * What `probeGraphqlBombs` found. `findings` must be empty.
 * @public
 */
export interface GraphqlBombReport {
  /** Each bomb and its answer. */
  readonly results: GraphqlBombResult[];
  /** Bombs that were not refused with a code, or that ran resolvers. */
  readonly findings: string[];
}

/**
 * Sends each bomb (OWASP API4) and reports those the server did not refuse: a refusal is an answer
 * with no data anywhere and an error carrying an `extensions.code` (a 4xx, or a GraphQL error
 * response), and, given `resolverCalls`, no resolver run while it was handled.
 *
 * `target` is a Nest application, a Node HTTP server or listener, or a base URL. Requires
 * `supertest` (an optional peer).
 * @public
 */
export async function probeGraphqlBombs(
  target: HttpTarget,
  options: GraphqlBombProbeOptions = {},
): Promise<GraphqlBombReport> {
  const path = options.path ?? '/graphql';
  const report: GraphqlBombReport = { results: [], findings: [] };
  for (const bomb of options.bombs ?? graphqlBombs()) {
    const before = options.resolverCalls?.();
    const answer = await postGraphql(target, path, options.headers ?? {}, bomb.body);
    const after = options.resolverCalls?.();
    const results = resultsOf(answer.body);
    // A refusal before GraphQL (a body limit, a rate limit) may be problem details: its `code` counts.
    const problemCode = answer.status >= 400 ? problemDetailsCode(answer.body) : undefined;
    const codes = problemCode === undefined ? results.flatMap(errorCodes) : [problemCode];
    const anyData = results.some((result) => result.data !== null && result.data !== undefined);
    const refused = (results.length > 0 || problemCode !== undefined) && !anyData && codes.length > 0;
    const calls = before === undefined || after === undefined ? undefined : after - before;
    report.results.push({
      kind: bomb.kind,
      description: bomb.description,
      status: answer.status,
      codes,
      refused,
      ...(calls === undefined ? {} : { resolverCalls: calls }),
    });
    if (!refused) {
      report.findings.push(
        `${bomb.description}: not refused with an error code (status ${answer.status}${anyData ? ', data returned' : ''})`,
      );
    }
    if (calls !== undefined && calls > 0) report.findings.push(`${bomb.description}: ${calls} resolver call(s) ran`);
  }
  return report;
}

/** The `code` of an RFC 9457 problem-details body (as the library's HTTP refusals carry), if any. */
function problemDetailsCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const code = (body as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `probeGraphqlBombs`, throwing an Error that lists every bomb that was not refused (or ran a
 * resolver); resolves to the report otherwise.
 * @public
 */
export async function assertGraphqlBombsRefused(
  target: HttpTarget,
  options: GraphqlBombProbeOptions = {},
): Promise<GraphqlBombReport> {
  const report = await probeGraphqlBombs(target, options);
  if (report.findings.length > 0) {
    throw new Error(`GraphQL bombs not refused:\n- ${report.findings.join('\n- ')}`);
  }
  return report;
}
