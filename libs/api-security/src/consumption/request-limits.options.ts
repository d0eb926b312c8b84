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

const DEFAULTS: ResolvedRequestLimits = Object.freeze({
  maxDepth: 32,
  maxKeys: 1000,
  maxArrayLength: 1000,
  maxStringLength: 100_000,
});

/**
 * Fills in the defaults of `requestLimits`. Each limit's range is checked at boot beside its
 * declaration in `api-security-options.schema.ts`.
 */
export function resolveRequestLimits(options: RequestLimitOptions | undefined): ResolvedRequestLimits {
  return Object.freeze({
    maxDepth: options?.maxDepth ?? DEFAULTS.maxDepth,
    maxKeys: options?.maxKeys ?? DEFAULTS.maxKeys,
    maxArrayLength: options?.maxArrayLength ?? DEFAULTS.maxArrayLength,
    maxStringLength: options?.maxStringLength ?? DEFAULTS.maxStringLength,
  });
}
