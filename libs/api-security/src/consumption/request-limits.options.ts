/**
 * Shape limits of a parsed JSON body. A body within the byte limit can still be built to hurt:
 * 10,000 levels of nesting, 100,000 tiny keys, one huge array. These are refused with 400 before
 * validation or a controller walks them.
 */
export interface RequestLimitOptions {
  /**
   * Deepest nesting of objects and arrays. 1–256.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Object members in the whole body, all levels together. 1–1000000.
   * @default 1000
   */
  maxKeys?: number;
  /**
   * Items of any one array. 1–1000000.
   * @default 1000
   */
  maxArrayLength?: number;
  /**
   * Characters of any one string (keys included). 1–100000000.
   * @default 100000
   */
  maxStringLength?: number;
}

export type ResolvedRequestLimits = Readonly<Required<RequestLimitOptions>>;

const BOUNDS: Readonly<Record<keyof RequestLimitOptions, readonly [number, number, number]>> = {
  maxDepth: [32, 1, 256],
  maxKeys: [1000, 1, 1_000_000],
  maxArrayLength: [1000, 1, 1_000_000],
  maxStringLength: [100_000, 1, 100_000_000],
};

/** Validates `requestLimits`; each problem names the option and its range. */
export function resolveRequestLimits(
  options: RequestLimitOptions | undefined,
  problems: string[],
): ResolvedRequestLimits {
  const given = (options ?? {}) as Record<string, unknown>;
  const resolved: Record<string, number> = {};
  for (const key of Object.keys(given)) {
    if (!(key in BOUNDS))
      problems.push(`requestLimits.${key} is not an option: use ${Object.keys(BOUNDS).join(', ')}.`);
  }
  for (const [key, [fallback, min, max]] of Object.entries(BOUNDS)) {
    const value = given[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`requestLimits.${key} must be a whole number from ${min} to ${max}.`);
      resolved[key] = fallback;
    } else {
      resolved[key] = value;
    }
  }
  return Object.freeze(resolved) as ResolvedRequestLimits;
}
