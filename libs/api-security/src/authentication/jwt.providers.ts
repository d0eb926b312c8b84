import type { Provider } from '@nestjs/common';
import { JwtAuthenticator } from './jwt.authenticator';
import { DpopNonceService } from './dpop-nonce.service';
import { DpopProofVerifier } from './dpop-proof.verifier';
import { DpopRequirement } from './dpop-requirement';
import { JWT_KEY_SERVICE_PROVIDER } from './jwt-key.service';
import { JwtStrategy } from './jwt.strategy';
import { JwtVerifier } from './jwt.verifier';
import { RevocationService } from './revocation.service';
import { TokenService } from './token.service';
import { TrustedIssuers } from './trusted-issuers.service';

/**
 * Providers of bearer access tokens, registered and exported by ApiSecurityModule. The
 * authenticator only takes part in requests when listed in `forRoot({ authenticators })`; the
 * Passport strategy is there for applications that use `AuthGuard(JWT_STRATEGY_NAME)`.
 */
export const JWT_PROVIDERS: Provider[] = [
  JWT_KEY_SERVICE_PROVIDER,
  TokenService,
  RevocationService,
  TrustedIssuers,
  JwtVerifier,
  JwtStrategy,
  JwtAuthenticator,
  DpopNonceService,
  DpopProofVerifier,
  DpopRequirement,
];
