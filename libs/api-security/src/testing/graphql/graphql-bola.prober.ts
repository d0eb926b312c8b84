import type { HttpTarget, RequestHeaders } from '../http-target';
import { aliasRootFields, unalias } from './alias-document';
import { postGraphql, resultsOf, type GraphqlOperation, type GraphqlResult } from './graphql-client';
import { responseLeaves, underAny } from './response-leaves';

/**
 * How the prober sends a query as principal B: as written (`direct`), with every root field
 * selected twice under aliases (`aliases`), and twice in one batched HTTP request (`batch`).
 * @public
 */
export type GraphqlBolaVariant = 'direct' | 'aliases' | 'batch';

/**
 * A document that reads principal A's objects by A's ids, over arguments (`order(id:)`) or nested
 * paths (`user(id:) { orders { … } }`, `shipment(orderId:) { invoice { … } }`).
 * @public
 */
export interface GraphqlBolaQuery {
  /** A name for the report, e.g. `order by id`. */
  readonly name: string;
  /** The document: one operation, A's ids inline or in `variables`. */
  readonly query: string;
  /** The operation's variables (A's ids). */
  readonly variables?: Readonly<Record<string, unknown>>;
  /**
   * Response paths B may read (dot-separated response keys, list indexes left out, a path covers
   * what is under it): the parts of the answer that are public by design, e.g. `['shipment']` when
   * anyone may track a shipment and only its `invoice` is owned (then also list `shipment.invoice`'s
   * siblings, not the invoice). Everything else B receives is foreign data.
   */
  readonly publicPaths?: readonly string[];
}

/**
 * What `probeGraphqlBola` needs: the endpoint, the two principals and the queries.
 * @public
 */
export interface GraphqlBolaProbeOptions {
  /** The endpoint's path. @default '/graphql' */
  readonly path?: string;
  /** A's credentials, e.g. `{ Authorization: 'Bearer …' }`: A owns every object the queries read. */
  readonly owner: RequestHeaders;
  /** B's credentials: B owns none of them and holds no role that bypasses ownership. */
  readonly other: RequestHeaders;
  /** The queries to send under both principals. */
  readonly queries: readonly GraphqlBolaQuery[];
  /**
   * Strings of A's that must appear nowhere in B's responses, errors included (an email, a note).
   * The string values A's own read returns (outside `publicPaths`, four characters or more, not in
   * the query itself) are added.
   */
  readonly secrets?: readonly string[];
  /**
   * Before B's calls, A sends each query and must receive data outside `publicPaths`; otherwise the
   * ids (or A's credentials) are wrong and B's refusal would prove nothing, which is a finding.
   * @default true
   */
  readonly control?: boolean;
  /** How B's calls are sent. @default ['direct', 'aliases', 'batch'] */
  readonly variants?: readonly GraphqlBolaVariant[];
}

/**
 * A query that gave B foreign data, or whose control read proves nothing.
 * @public
 */
export interface GraphqlBolaFinding {
  /** The query's name. */
  readonly query: string;
  /** How it was sent; `control` for A's read. */
  readonly variant: GraphqlBolaVariant | 'control';
  /** Who was calling: `other` (B, the attack) or `owner` (A, the control). */
  readonly as: 'other' | 'owner';
  /** The response path of the foreign value, when there is one. */
  readonly path?: string;
  /** What went wrong, without the leaked value itself (its first characters only). */
  readonly message: string;
}

/**
 * What `probeGraphqlBola` found. `findings` must be empty.
 * @public
 */
export interface GraphqlBolaReport {
  /** Each call B made: `order by id (aliases)`. */
  readonly probed: string[];
  /** Foreign data B received, and failed controls. */
  readonly findings: GraphqlBolaFinding[];
  /** Calls that could not be made, e.g. a server that refuses batches (nothing to probe there). */
  readonly skipped: { query: string; variant: GraphqlBolaVariant; reason: string }[];
}

const ALL_VARIANTS: readonly GraphqlBolaVariant[] = ['direct', 'aliases', 'batch'];
const MIN_SECRET_LENGTH = 4;

/**
 * Two-principal BOLA prober for GraphQL (OWASP API1): sends each query, which reads objects A
 * owns by A's ids, as A (the control) and then as B, as written, with its root fields aliased
 * twice and as a batch of two operations. B must receive no foreign data anywhere: no non-null
 * value outside the query's `publicPaths`, and none of A's strings anywhere in the body (errors
 * included). Refusals themselves (null and an error, a 4xx) are what a protected server sends.
 *
 * `target` is a Nest application, a Node HTTP server or listener, or a base URL. Requires
 * `supertest` and `graphql` (optional peers).
 * @public
 */
export async function probeGraphqlBola(
  target: HttpTarget,
  options: GraphqlBolaProbeOptions,
): Promise<GraphqlBolaReport> {
  const path = options.path ?? '/graphql';
  const report: GraphqlBolaReport = { probed: [], findings: [], skipped: [] };
  for (const query of options.queries) {
    const operation: GraphqlOperation = {
      query: query.query,
      ...(query.variables ? { variables: query.variables } : {}),
    };
    const publicPaths = query.publicPaths ?? [];
    const secrets = new Set(options.secrets ?? []);
    if (options.control ?? true) {
      const control = await postGraphql(target, path, options.owner, operation);
      const [result] = resultsOf(control.body);
      const owned = responseLeaves(result?.data).filter((leaf) => !underAny(leaf.path, publicPaths));
      if (owned.length === 0) {
        report.findings.push({
          query: query.name,
          variant: 'control',
          as: 'owner',
          message: `A's own read returned no data outside the public paths (status ${control.status}): the ids or A's credentials are wrong, so B's refusal would prove nothing`,
        });
        continue;
      }
      const publicValues = new Set(
        responseLeaves(result?.data)
          .filter((leaf) => underAny(leaf.path, publicPaths))
          .map((leaf) => String(leaf.value)),
      );
      const sent = `${query.query} ${JSON.stringify(query.variables ?? {})}`;
      for (const leaf of owned) {
        const value = String(leaf.value);
        if (
          typeof leaf.value === 'string' &&
          value.length >= MIN_SECRET_LENGTH &&
          !publicValues.has(value) &&
          !sent.includes(value)
        ) {
          secrets.add(value);
        }
      }
    }
    for (const variant of options.variants ?? ALL_VARIANTS) {
      const body =
        variant === 'direct'
          ? operation
          : variant === 'aliases'
            ? { ...operation, query: aliasRootFields(query.query) }
            : [operation, operation];
      const answer = await postGraphql(target, path, options.other, body);
      const results = resultsOf(answer.body);
      if (variant === 'batch' && !Array.isArray(answer.body)) {
        // A server without batching answers the array with one error (or a 4xx): there is nothing to probe.
        report.skipped.push({
          query: query.name,
          variant,
          reason: `the server does not answer batches (status ${answer.status})`,
        });
        continue;
      }
      report.probed.push(`${query.name} (${variant})`);
      report.findings.push(...foreignData(query.name, variant, results, publicPaths));
      for (const secret of secrets) {
        if (answer.text.includes(secret)) {
          report.findings.push({
            query: query.name,
            variant,
            as: 'other',
            message: `B's response contains one of A's values (${JSON.stringify(secret.slice(0, 3))}…)`,
          });
        }
      }
    }
  }
  return report;
}

/** B's non-null values outside the public paths, one finding per path. */
function foreignData(
  name: string,
  variant: GraphqlBolaVariant,
  results: readonly GraphqlResult[],
  publicPaths: readonly string[],
): GraphqlBolaFinding[] {
  const paths = new Set<string>();
  for (const result of results) {
    for (const leaf of responseLeaves(result.data, unalias))
      if (!underAny(leaf.path, publicPaths)) paths.add(leaf.path);
  }
  return [...paths].map((path) => ({
    query: name,
    variant,
    as: 'other' as const,
    path,
    message: `B received a value at ${path}, which A's ids reach`,
  }));
}
