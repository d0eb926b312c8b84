import { GraphqlLimitCode } from './query-limits';

/** The answer to a batch over the limit: a GraphQL error response, before any operation runs. */
export function batchRefusal(max: number): { errors: { message: string; extensions: { code: string } }[] } {
  return {
    errors: [{ message: `A batch may hold at most ${max} operations.`, extensions: { code: GraphqlLimitCode.BATCH } }],
  };
}

/** Whether a parsed body is a batch (a JSON array of operations) longer than `max`. */
export function overBatchLimit(body: unknown, max: number): boolean {
  return Array.isArray(body) && body.length > max;
}
