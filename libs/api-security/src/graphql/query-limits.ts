import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { COST_EXTENSION } from './cost.decorator';

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

const DEFAULTS: Required<GraphqlQueryLimits> = {
  maxDepth: 10,
  maxAliases: 15,
  maxRootFields: 20,
  maxTokens: 1000,
  maxCharacters: 10_000,
  maxCost: 1000,
  assumedListSize: 10,
};

/** Arguments that bound a list's size, as paginated APIs name them. */
const LIST_SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/**
 * The cost of an operation, per the rules of {@link GraphqlQueryLimits.maxCost}. A fragment's cost
 * depends only on its type condition, so it is computed once and reused (a fragment spread a
 * thousand times is walked once); a fragment cycle, which validation reports itself, costs nothing.
 */
class CostCounter {
  private readonly fragmentCosts = new Map<string, number>();
  private readonly visiting = new Set<string>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly assumedListSize: number,
  ) {}

  operation(node: OperationDefinitionNode): number {
    const root =
      node.operation === 'query'
        ? this.schema.getQueryType()
        : node.operation === 'mutation'
          ? this.schema.getMutationType()
          : this.schema.getSubscriptionType();
    return root ? this.selectionSet(node.selectionSet, root) : 0;
  }

  private selectionSet(set: SelectionSetNode, type: GraphQLCompositeType): number {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total += this.field(selection, type);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : type;
        total += this.selectionSet(selection.selectionSet, (condition as GraphQLCompositeType | undefined) ?? type);
      } else total += this.fragment(selection.name.value);
      // Past any sane limit: stop adding (no overflow to Infinity, no pointless walking).
      if (total > Number.MAX_SAFE_INTEGER / 2) return total;
    }
    return total;
  }

  private fragment(name: string): number {
    const known = this.fragmentCosts.get(name);
    if (known !== undefined) return known;
    const fragment = this.fragments.get(name);
    if (!fragment || this.visiting.has(name)) return 0;
    const type = this.schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
    if (!type) return 0;
    this.visiting.add(name);
    const cost = this.selectionSet(fragment.selectionSet, type);
    this.visiting.delete(name);
    this.fragmentCosts.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType): number {
    const definition =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    const declared: unknown = definition?.extensions[COST_EXTENSION];
    const own = typeof declared === 'number' ? declared : node.selectionSet ? 1 : 0;
    if (!node.selectionSet || !definition) return own;
    const child = getNamedType(definition.type) as GraphQLCompositeType;
    const size = isListType(getNullableType(definition.type)) ? this.listSize(node) : 1;
    return own + size * this.selectionSet(node.selectionSet, child);
  }

  private listSize(node: FieldNode): number {
    for (const argument of node.arguments ?? []) {
      if (LIST_SIZE_ARGUMENTS.has(argument.name.value) && argument.value.kind === Kind.INT) {
        return Math.max(0, Number.parseInt(argument.value.value, 10));
      }
    }
    return this.assumedListSize;
  }
}

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
        if (costs.operation(node) > limits.maxCost) {
          refuse(context, GraphqlLimitCode.COST, `The query costs more than ${limits.maxCost}.`);
        }
      },
      Document: {
        leave() {
          if (aliases > limits.maxAliases) {
            refuse(context, GraphqlLimitCode.ALIASES, `The query has more than ${limits.maxAliases} aliases.`);
          }
        },
      },
    };
  };
  return [rule];
}
