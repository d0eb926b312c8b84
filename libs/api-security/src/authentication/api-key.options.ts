/** API-key authentication (`X-API-Key: sk_live_…`) for server-to-server callers. */
export interface ApiKeyOptions {
  /**
   * Fixed start of every key, so a leaked key is recognisable by secret scanners and in logs. Two to
   * eight lowercase letters, an underscore, two to eight lowercase letters and an underscore.
   * Changing it invalidates every key issued under the old one (the hash covers the whole key).
   * @default 'sk_live_'
   */
  keyPrefix?: string;
  /**
   * Request header that carries the key (matched case-insensitively). Keys are never read from the
   * query string, where proxies, browsers and access logs would keep them.
   * @default 'x-api-key'
   */
  header?: string;
  /**
   * Minimum seconds between two last-used writes for one key, so a busy key does not cost a database
   * write on every request. `0` writes on every use. 0–86400.
   * @default 60
   */
  touchIntervalSeconds?: number;
}

export type ResolvedApiKeyOptions = Required<ApiKeyOptions>;

/** The defaults, as documented on {@link ApiKeyOptions}. */
export const DEFAULT_API_KEY_OPTIONS: Readonly<ResolvedApiKeyOptions> = Object.freeze({
  keyPrefix: 'sk_live_',
  header: 'x-api-key',
  touchIntervalSeconds: 60,
});

const KEY_PREFIX = /^[a-z]{2,8}_[a-z]{2,8}_$/;
/** A plain header name: letters, digits and hyphens, as every proxy and adapter passes through unchanged. */
const HEADER_NAME = /^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$/i;
/** Headers that carry other credentials or routing: sharing them would make two schemes fight over one value. */
const RESERVED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'host', 'content-type']);
const MAX_TOUCH_INTERVAL_SECONDS = 86_400;

/** Shows a rejected value without letting it grow the message or break its line. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Validates {@link ApiKeyOptions}, pushing one message per problem. */
export function resolveApiKeyOptions(options: ApiKeyOptions | undefined, problems: string[]): ResolvedApiKeyOptions {
  const keyPrefix = options?.keyPrefix ?? DEFAULT_API_KEY_OPTIONS.keyPrefix;
  if (typeof keyPrefix !== 'string' || !KEY_PREFIX.test(keyPrefix)) {
    problems.push(
      `apiKeys.keyPrefix ${shown(keyPrefix)} is not a key prefix: use 2-8 lowercase letters, "_", 2-8 lowercase letters and a trailing "_", like 'sk_live_'.`,
    );
  }

  const header = options?.header ?? DEFAULT_API_KEY_OPTIONS.header;
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    problems.push(
      `apiKeys.header ${shown(header)} is not a header name: use 2-64 letters, digits and hyphens, like 'x-api-key'.`,
    );
  } else if (RESERVED_HEADERS.has(header.toLowerCase())) {
    problems.push(
      `apiKeys.header ${shown(header)} is reserved for other credentials or routing: use a dedicated header like 'x-api-key'.`,
    );
  }

  const touchIntervalSeconds = options?.touchIntervalSeconds ?? DEFAULT_API_KEY_OPTIONS.touchIntervalSeconds;
  if (
    !Number.isSafeInteger(touchIntervalSeconds) ||
    touchIntervalSeconds < 0 ||
    touchIntervalSeconds > MAX_TOUCH_INTERVAL_SECONDS
  ) {
    problems.push(
      `apiKeys.touchIntervalSeconds must be a whole number of seconds from 0 to ${MAX_TOUCH_INTERVAL_SECONDS} (got ${shown(touchIntervalSeconds)}).`,
    );
  }

  return {
    keyPrefix,
    header: typeof header === 'string' ? header.toLowerCase() : header,
    touchIntervalSeconds,
  };
}
