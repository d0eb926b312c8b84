import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { COST_EXTENSION } from './cost.decorator';

/** Arguments that bound a list's size, as paginated APIs name them. */
const LIST_SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/**
 * The cost of an operation, per the rules of {@link GraphqlQueryLimits.maxCost}. A fragment's cost
 * depends only on its type condition, so it is computed once and reused (a fragment spread a
 * thousand times is walked once); a fragment cycle, which validation reports itself, costs nothing.
 */
export class CostCounter {
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
