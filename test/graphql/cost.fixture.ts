import { Args, Field, ID, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Public } from '@api-security/nestjs';
import { Cost } from '@api-security/nestjs/graphql';
import { CALLS } from './graphql.fixture';

/** A widget whose `weight` is costly to compute: `@Cost(2)` per widget. */
@ObjectType()
export class Widget {
  @Field(() => ID) id!: string;
  @Field(() => Int) @Cost(2) weight!: number;
}

/**
 * With `costPerUnit: 5`: `{ widgets(first: 1) { id } }` costs 1 + 1 × 0 = 1 (one unit), and
 * `{ widgets(first: 10) { id weight } }` costs 1 + 10 × 2 = 21 (five units).
 */
export const CHEAP = '{ widgets(first: 1) { id } }';
export const EXPENSIVE = '{ widgets(first: 10) { id weight } }';
export const CHEAP_UNITS = 1;
export const EXPENSIVE_UNITS = 5;
export const COST_PER_UNIT = 5;

@Resolver(() => Widget)
export class WidgetResolver {
  /** Counts in `CALLS`: a refused request must run none. */
  @Query(() => [Widget])
  widgets(@Args('first', { type: () => Int }) first: number): Widget[] {
    CALLS.count++;
    return Array.from({ length: Math.min(first, 10) }, (_, i) => ({ id: `W${i}`, weight: i }));
  }

  /** Public: charged to the client's address, by cost all the same. */
  @Query(() => [Widget])
  @Public()
  catalogue(@Args('first', { type: () => Int }) first: number): Widget[] {
    CALLS.count++;
    return Array.from({ length: Math.min(first, 10) }, (_, i) => ({ id: `C${i}`, weight: i }));
  }
}
