/** The largest page a GraphQL list returns, as REST's `pagination({ max: 100 })`. */
export const MAX_PAGE = 100;

/**
 * A list argument as a page size. Query limits price a list by its literal bound before anything
 * runs, but a bound given as a variable is only assumed; the resolver caps it itself.
 */
export function pageSize(requested: number): number {
  return Math.min(Math.max(Math.trunc(requested), 1), MAX_PAGE);
}
