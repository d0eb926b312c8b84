/**
 * Passport name of the library's bearer-token strategy: `AuthGuard(JWT_STRATEGY_NAME)` from
 * `@nestjs/passport` verifies access tokens through the same path as the security guard (same
 * checks, same revocation, same refusal reasons). Kept apart from the strategy class so that the
 * package's declarations never reach passport-jwt's.
 */
export const JWT_STRATEGY_NAME = 'api-security-jwt';
