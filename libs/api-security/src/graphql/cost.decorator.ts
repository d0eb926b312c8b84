import { Extensions } from '@nestjs/graphql';

/** The schema field extension {@link Cost} sets and the cost limit reads. */
export const COST_EXTENSION = 'apiSecurityCost';

/**
 * What one resolution of this field costs in the query cost limit (`graphqlQueryLimits({ maxCost })`),
 * instead of the default (1 for a field with a selection, 0 for a leaf). Put it on an expensive
 * field (`@Field()`, `@ResolveField()`) or query; inside a list the cost is multiplied by its size.
 *
 * @example
 * ```ts
 * @Query(() => [Order]) @Cost(5) orders(@Args('first', { type: () => Int }) first: number) {}
 * ```
 */
export function Cost(cost: number): MethodDecorator & PropertyDecorator {
  if (!Number.isSafeInteger(cost) || cost < 0) {
    throw new TypeError(`@Cost(${String(cost)}): a cost is a non-negative integer.`);
  }
  return Extensions({ [COST_EXTENSION]: cost });
}
