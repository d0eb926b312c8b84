// The security test kit: import from '@api-security/nestjs/testing' in e2e tests, never in production
// code. The HTTP probers load supertest (an optional peer) on first use; the token forge and the
// checkers need nothing more. It uses no test-runner globals: probers return reports and checkers
// return problem lists (or throw an Error with `assert…`), so any runner can use it.

// Tokens
export { TokenForge } from './token.forge';
export type { AttackerKey, ForgedToken, TokenForgeOptions } from './token.forge';
export { TOKEN_ATTACKS } from './token.attacks';
export type { TokenAttack, TokenAttackContext, TokenPlacement } from './token.attacks';
export { accessTokenClaims, decodePayload, replacePayload, signJws, unsignedJws } from './jwt.primitives';
export type { JwtMembers } from './jwt.primitives';
export { DpopKey } from './dpop.forge';
export type { DpopKeyAlgorithm, DpopProofOptions } from './dpop.forge';
export { DPOP_ATTACKS } from './dpop.attacks';
export type { DpopAttack, DpopAttackContext } from './dpop.attacks';
export { probeDpop } from './dpop.prober';
export type { DpopFinding, DpopProbeOptions, DpopReport } from './dpop.prober';
export { IssuerForge } from './issuer.forge';
export type { IssuerAlgorithm, IssuerForgeOptions, ServedIssuer } from './issuer.forge';
export { ISSUER_ATTACKS } from './issuer.attacks';
export type { IssuerAttack, IssuerAttackContext } from './issuer.attacks';
export { probeIssuers } from './issuer.prober';
export type { IssuerFinding, IssuerProbeOptions, IssuerReport } from './issuer.prober';

// Authorization probers
export { probeBola } from './bola.prober';
export type { BolaFinding, BolaProbeOptions, BolaReport } from './bola.prober';
export { probeMassAssignment } from './mass-assignment.prober';
export type {
  MassAssignmentFinding,
  MassAssignmentOptions,
  MassAssignmentReport,
  MassAssignmentTarget,
} from './mass-assignment.prober';
export { bodyRoutes, routePlans } from './route-discovery';
export type { BodyRoute, NestAppLike, RestrictedField } from './route-discovery';

// SSRF
export { ssrfPayloads } from './ssrf.payloads';
export type { SsrfPayload, SsrfPayloadOptions } from './ssrf.payloads';
export { LoopbackCanary } from './loopback.canary';
export type { LoopbackCanaryOptions } from './loopback.canary';
export { probeSsrf } from './ssrf.prober';
export type { SsrfFinding, SsrfProbeOptions, SsrfReport } from './ssrf.prober';

// Response checkers
export { assertSecurityHeaders, checkSecurityHeaders } from './security-headers.checker';
export type { SecurityHeadersCheckOptions } from './security-headers.checker';
export { assertProblemDetails, checkProblemDetails, PROBLEM_LEAKS, PROBLEM_MEMBERS } from './problem-details.checker';
export type { ProblemDetailsCheckOptions } from './problem-details.checker';

export type { HttpResponseLike, HttpTarget, RequestHeaders } from './http-target';

// Sensitive flows
export { solveProofOfWork, solvesProofOfWork } from '../flows/proof-of-work';

// Stores
export { describeSecurityStoreConformance } from './security-store.conformance';
export type {
  ConformanceClock,
  ConformanceExpectation,
  ConformanceMatchers,
  ConformanceOptions,
  ConformanceRunner,
} from './security-store.conformance';
