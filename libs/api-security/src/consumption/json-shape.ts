import type { ResolvedRequestLimits } from './request-limits.options';

/** Which limit a body broke, for the log (never sent to the client). */
export type JsonShapeViolation = 'depth' | 'keys' | 'array' | 'string';

/**
 * Walks a parsed JSON value iteratively (no recursion, so depth cannot blow the stack) and stops
 * at the first broken limit. Cost is bounded by the limits, not by the body.
 */
export function jsonShapeViolation(value: unknown, limits: ResolvedRequestLimits): JsonShapeViolation | undefined {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' && value.length > limits.maxStringLength ? 'string' : undefined;
  }
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let keys = 0;
  while (stack.length > 0) {
    const node = stack.pop();
    const depth = depths.pop() as number;
    if (depth > limits.maxDepth) return 'depth';
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayLength) return 'array';
      for (const item of node) {
        if (typeof item === 'string') {
          if (item.length > limits.maxStringLength) return 'string';
        } else if (item !== null && typeof item === 'object') {
          stack.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node as Record<string, unknown>) {
        if (++keys > limits.maxKeys) return 'keys';
        if (key.length > limits.maxStringLength) return 'string';
        const item = (node as Record<string, unknown>)[key];
        if (typeof item === 'string') {
          if (item.length > limits.maxStringLength) return 'string';
        } else if (item !== null && typeof item === 'object') {
          stack.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return undefined;
}
