import { SetMetadata } from '@nestjs/common';

/** Metadata key of {@link RequireDpop}. */
export const REQUIRE_DPOP_KEY = 'api-security:require-dpop';

/**
 * The route (or every route of the controller) accepts only DPoP-bound access tokens presented
 * as `Authorization: DPoP <token>` with a valid proof (RFC 9449). Bearer tokens, API keys and any
 * other credential get 401 with a `WWW-Authenticate: DPoP` challenge. `dpop.required: true` does
 * the same for every authenticated route.
 */
export const RequireDpop = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRE_DPOP_KEY, true);
