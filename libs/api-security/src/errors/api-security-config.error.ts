import { ConfigErrorCode } from './config-codes';

/**
 * Thrown at boot when options are invalid; the message lists every problem with its fix, and
 * `code` says which kind of problem it is (`ERR_CONFIG_UNKNOWN_OPTION`, `ERR_CONFIG_INVALID_OPTION`,
 * `ERR_CONFIG_INSECURE_DEPLOYMENT`).
 */
export class ApiSecurityConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly code: ConfigErrorCode = ConfigErrorCode.INVALID_OPTION,
    /** Whose options these are, for the first line of the message. */
    subject = 'ApiSecurityModule',
  ) {
    super(`Invalid ${subject} options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ApiSecurityConfigError';
  }
}
