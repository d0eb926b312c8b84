/**
 * Stable codes of the errors the library throws at the developer (boot, misconfiguration), as
 * opposed to the `ERR_*` codes of problem-details responses that clients see. Tooling and tests may
 * branch on them; they never change meaning.
 */
export const ConfigErrorCode = {
  /** An option key the library does not know (often a misspelling): the message names the closest valid key. */
  UNKNOWN_OPTION: 'ERR_CONFIG_UNKNOWN_OPTION',
  /** An option has a value the library refuses (wrong type, out of range, contradicts another option). */
  INVALID_OPTION: 'ERR_CONFIG_INVALID_OPTION',
  /** `checkDeployment` found a setting that is unsafe in production. */
  INSECURE_DEPLOYMENT: 'ERR_CONFIG_INSECURE_DEPLOYMENT',
  /** The boot audit found routes whose security decision is ambiguous or impossible. */
  ROUTE_AUDIT: 'ERR_CONFIG_ROUTE_AUDIT',
  /** A route's own declaration (rate-limit tier, body limit, flow) cannot be compiled. */
  INVALID_ROUTE_DECLARATION: 'ERR_CONFIG_INVALID_ROUTE_DECLARATION',
  /**
   * Field-level rules (`@VisibleTo`, `@Hidden`, `@OwnedBy`, `@ResponseModel`, `@WritableBy`) cannot
   * be enforced as declared on a GraphQL schema: a restricted non-null field, a field nobody may
   * read, a write rule on an input field with a default, the enforcing module missing.
   */
  FIELD_SECURITY: 'ERR_CONFIG_FIELD_SECURITY',
  /** Two modules register different providers under one token the library needs exactly one of (a resolver, a policy, a check). */
  AMBIGUOUS_PROVIDER: 'ERR_CONFIG_AMBIGUOUS_PROVIDER',
  /** The HTTP adapter's instance lacks what the hardening needs (an Express application without a router stack). */
  UNSUPPORTED_ADAPTER: 'ERR_CONFIG_UNSUPPORTED_ADAPTER',
} as const;

/** One of the stable `ERR_CONFIG_*` codes carried by {@link ApiSecurityConfigError} and {@link RouteAuditError}. */
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode];
