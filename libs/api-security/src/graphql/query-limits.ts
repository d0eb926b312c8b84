import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { CostCounter } from './cost-counter';
import { recordDocumentCosts, recordOperationCost, type CostPricing } from './operation-costs';

/** Stable `extensions.code` of a query refused by a limit (OWASP API4). */
export const GraphqlLimitCode = {
  DEPTH: 'ERR_GRAPHQL_DEPTH',
  ALIASES: 'ERR_GRAPHQL_ALIASES',
  ROOT_FIELDS: 'ERR_GRAPHQL_ROOT_FIELDS',
  TOKENS: 'ERR_GRAPHQL_TOKENS',
  CHARACTERS: 'ERR_GRAPHQL_CHARACTERS',
  BATCH: 'ERR_GRAPHQL_BATCH',
  COST: 'ERR_GRAPHQL_COST',
} as const;
/** One of the stable {@link GraphqlLimitCode} values. */
export type GraphqlLimitCode = (typeof GraphqlLimitCode)[keyof typeof GraphqlLimitCode];

/** Limits on one GraphQL document, checked during validation: a refused query runs no resolver. */
export interface GraphqlQueryLimits {
  /** Deepest selection, fragments expanded (`{ a { b } }` is 2). @default 10 */
  maxDepth?: number;
  /** Aliased fields in the whole document. @default 15 */
  maxAliases?: number;
  /** Fields selected at the root of one operation, fragments expanded. @default 20 */
  maxRootFields?: number;
  /** Lexical tokens in the document. @default 1000 */
  maxTokens?: number;
  /** Characters of the document's source. @default 10000 */
  maxCharacters?: number;
  /**
   * Cost of the costliest operation: each field costs its `@Cost(n)`, else 1 with a selection and 0
   * as a leaf; what a list field selects counts once per element, the size taken from its `first`
   * or `limit` argument when given as a literal, else {@link assumedListSize}. @default 1000
   */
  maxCost?: number;
  /** Elements assumed for a list field without a literal `first` or `limit` argument. @default 10 */
  assumedListSize?: number;
}

/** @internal The defaults, also the pricing of a schema validated without these rules. */
export const DEFAULTS: Required<GraphqlQueryLimits> = {
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 20,
  maxTokens: 1000,
  maxCharacters: 10_000,
  maxCost: 1000,
  assumedListSize: 10,
};

function refuse(context: ValidationContext, code: GraphqlLimitCode, message: string): void {
  // A fixed message with the limit only: nothing of the query is echoed back.
  context.reportError(new GraphQLError(message, { extensions: { code } }));
}

/** Reads the limits once and refuses anything but positive integers (a typo must not disable a limit). */
function resolveLimits(given: GraphqlQueryLimits): Required<GraphqlQueryLimits> {
  const problems: string[] = [];
  const known = new Set(Object.keys(DEFAULTS));
  for (const key of Object.keys(given)) if (!known.has(key)) problems.push(`graphql limits: unknown option '${key}'.`);
  const limits = { ...DEFAULTS, ...given };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      problems.push(`graphql limits: ${key} must be a positive integer (got ${JSON.stringify(value)}).`);
    }
  }
  if (problems.length > 0) throw new ApiSecurityConfigError(problems, undefined, 'graphqlQueryLimits');
  return limits;
}

/**
 * Depth of a selection set, fragments expanded once per path (a fragment cycle, which validation
 * reports on its own, stops the walk). Stops descending past `limit`: the answer only needs to say
 * "too deep", so a hostile document costs at most `limit` levels of walking.
 */
function depthOf(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  limit: number,
  visiting: Set<string>,
): number {
  let deepest = 0;
  for (const selection of set.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      depth = selection.selectionSet
        ? 1 + (limit > 0 ? depthOf(selection.selectionSet, fragments, limit - 1, visiting) : 1)
        : 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = depthOf(selection.selectionSet, fragments, limit, visiting);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !visiting.has(fragment.name.value)) {
        visiting.add(fragment.name.value);
        depth = depthOf(fragment.selectionSet, fragments, limit, visiting);
        visiting.delete(fragment.name.value);
      }
    }
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
  }
  return deepest;
}

function rootFieldCount(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): number {
  let count = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      count += rootFieldCount(selection.selectionSet, fragments, visiting);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !visiting.has(fragment.name.value)) {
        visiting.add(fragment.name.value);
        count += rootFieldCount(fragment.selectionSet, fragments, visiting);
        visiting.delete(fragment.name.value);
      }
    }
  }
  return count;
}

/** Tokens of the document, counted with graphql-js's own lexer, stopping one past the limit. */
function tooManyTokens(body: string, limit: number): boolean {
  const lexer = new Lexer(new Source(body));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) {
    if (++count > limit) return true;
  }
  return false;
}

/**
 * GraphQL validation rules enforcing the query limits (OWASP API4), compiled once: pass them to
 * the driver (`GraphQLModule.forRoot({ validationRules: graphqlQueryLimits({ maxDepth: 8 }) })`,
 * Apollo and Mercurius alike). A document over a limit fails validation, so no resolver runs; each
 * error has a stable `extensions.code` ({@link GraphqlLimitCode}).
 *
 * The size checks run first and skip the rest: a document too long or with too many tokens is not
 * walked. (The driver has parsed it already: cap the body size too, `hardening.bodyLimit`.)
 */
export function graphqlQueryLimits(options: GraphqlQueryLimits = {}): ValidationRule[] {
  const limits = resolveLimits(options);
  // The rate limit charges each operation the cost computed here (see operation-costs).
  const pricing: CostPricing = {
    assumedListSize: limits.assumedListSize,
    maxCost: limits.maxCost,
    maxTokens: limits.maxTokens,
  };
  const rule: ValidationRule = (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const body = document.loc?.source.body;
    if (body !== undefined && body.length > limits.maxCharacters) {
      refuse(context, GraphqlLimitCode.CHARACTERS, `The query exceeds ${limits.maxCharacters} characters.`);
      return {};
    }
    if (body !== undefined && tooManyTokens(body, limits.maxTokens)) {
      refuse(context, GraphqlLimitCode.TOKENS, `The query exceeds ${limits.maxTokens} tokens.`);
      return {};
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    let aliases = 0;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const costs = new CostCounter(context.getSchema(), fragments, limits.assumedListSize);
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      OperationDefinition(node) {
        if (rootFieldCount(node.selectionSet, fragments, new Set()) > limits.maxRootFields) {
          refuse(
            context,
            GraphqlLimitCode.ROOT_FIELDS,
            `An operation selects more than ${limits.maxRootFields} root fields.`,
          );
        }
        if (depthOf(node.selectionSet, fragments, limits.maxDepth, new Set()) > limits.maxDepth) {
          refuse(context, GraphqlLimitCode.DEPTH, `The query is deeper than ${limits.maxDepth} levels.`);
          // Too deep to be worth pricing.
          return;
        }
        const cost = costs.operation(node);
        recordOperationCost(node, cost);
        if (cost > limits.maxCost) {
          refuse(context, GraphqlLimitCode.COST, `The query costs more than ${limits.maxCost}.`);
        }
      },
      Document: {
        leave() {
          recordDocumentCosts(context.getSchema(), document, pricing);
          if (aliases > limits.maxAliases) {
            refuse(context, GraphqlLimitCode.ALIASES, `The query has more than ${limits.maxAliases} aliases.`);
          }
        },
      },
    };
  };
  return [rule];
}
