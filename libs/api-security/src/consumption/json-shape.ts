import { PROTOTYPE_KEYS } from '../common/body-facts';
import type { ResolvedRequestLimits } from './request-limits.options';

/** Which limit a body broke, for the log (never sent to the client). */
export type JsonShapeViolation = 'depth' | 'keys' | 'array' | 'string';

/** What one walk of a parsed JSON value found. */
export interface JsonShapeReport {
  /** The first limit broken, if any; the walk stops there. */
  readonly violation: JsonShapeViolation | undefined;
  /**
   * Whether a `__proto__`, `constructor` or `prototype` key was met. Complete only when there is
   * no violation (the walk stops at the first one). Keys are enumerated with `for…in`, so an
   * inherited enumerable key of that name counts too: `true` may be a false alarm, `false` is exact.
   */
  readonly prototypeKeys: boolean;
}

/**
 * Walks a parsed JSON value iteratively (no recursion, so depth cannot blow the stack) and stops
 * at the first broken limit. Cost is bounded by the limits, not by the body. The same pass notes
 * prototype keys, so that the guard walks a body once for both checks.
 */
export function inspectJsonShape(value: unknown, limits: ResolvedRequestLimits): JsonShapeReport {
  if (value === null || typeof value !== 'object') {
    const long = typeof value === 'string' && value.length > limits.maxStringLength;
    return { violation: long ? 'string' : undefined, prototypeKeys: false };
  }
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let keys = 0;
  let prototypeKeys = false;
  const stop = (violation: JsonShapeViolation): JsonShapeReport => ({ violation, prototypeKeys });
  while (stack.length > 0) {
    const node = stack.pop();
    const depth = depths.pop() as number;
    if (depth > limits.maxDepth) return stop('depth');
    if (Array.isArray(node)) {
      if (node.length > limits.maxArrayLength) return stop('array');
      for (const item of node) {
        if (typeof item === 'string') {
          if (item.length > limits.maxStringLength) return stop('string');
        } else if (item !== null && typeof item === 'object') {
          stack.push(item);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in node as Record<string, unknown>) {
        if (++keys > limits.maxKeys) return stop('keys');
        if (key.length > limits.maxStringLength) return stop('string');
        if (PROTOTYPE_KEYS.has(key)) prototypeKeys = true;
        const item = (node as Record<string, unknown>)[key];
        if (typeof item === 'string') {
          if (item.length > limits.maxStringLength) return stop('string');
        } else if (item !== null && typeof item === 'object') {
          stack.push(item);
          depths.push(depth + 1);
        }
      }
    }
  }
  return { violation: undefined, prototypeKeys };
}

/** The first limit a parsed JSON value breaks, if any (see {@link inspectJsonShape}). */
export function jsonShapeViolation(value: unknown, limits: ResolvedRequestLimits): JsonShapeViolation | undefined {
  return inspectJsonShape(value, limits).violation;
}
