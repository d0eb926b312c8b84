import { errors } from 'jose';
import { isExpectedRefusal, JwtRefusal, refusalEvent, refusalOf } from './jwt-refusal';

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

describe('refusalOf', () => {
  it('keeps our own refusals', () => {
    const refusal = new JwtRefusal('invalid_claims', 'sub');
    expect(refusalOf(refusal)).toBe(refusal);
    expect(refusal.message).toBe('invalid_claims (sub)');
  });

  it.each([
    [new errors.JWTExpired('x', {}, 'exp', 'check_failed'), 'expired', undefined],
    [new errors.JWTClaimValidationFailed('x', {}, 'nbf', 'check_failed'), 'not_yet_valid', undefined],
    [new errors.JWTClaimValidationFailed('x', {}, 'iss', 'check_failed'), 'wrong_issuer', undefined],
    [new errors.JWTClaimValidationFailed('x', {}, 'aud', 'check_failed'), 'wrong_audience', undefined],
    [new errors.JWTClaimValidationFailed('x', {}, 'typ', 'check_failed'), 'wrong_typ', undefined],
    [new errors.JWTClaimValidationFailed('x', {}, 'jti', 'missing'), 'invalid_claims', 'jti'],
    [new errors.JWTClaimValidationFailed('x', {}, 'iat', 'invalid'), 'invalid_claims', 'iat'],
    [new errors.JWTClaimValidationFailed('x', {}, 'nbf', 'invalid'), 'invalid_claims', 'nbf'],
    [new errors.JWTClaimValidationFailed('x', {}, 'iss', 'missing'), 'wrong_issuer', undefined],
    [new errors.JWSSignatureVerificationFailed(), 'bad_signature', undefined],
    [new errors.JOSEAlgNotAllowed('x'), 'alg_not_allowed', undefined],
    [new errors.JOSENotSupported('x'), 'forbidden_header', undefined],
    [new errors.JWKSNoMatchingKey(), 'unknown_kid', undefined],
    [new errors.JWKSMultipleMatchingKeys(), 'unknown_kid', undefined],
    [new errors.JWKSTimeout(), 'jwks_unavailable', undefined],
    [new errors.JWKSInvalid('x'), 'jwks_unavailable', undefined],
    [new errors.JWSInvalid('x'), 'malformed', undefined],
    [new errors.JWTInvalid('x'), 'malformed', undefined],
    [new errors.JOSEError('x'), 'invalid', undefined],
  ])('maps jose %p by its code to %s', (error, reason, claim) => {
    const refusal = refusalOf(error);
    expect(refusal.reason).toBe(reason);
    expect(refusal.claim).toBe(claim);
    expect(isExpectedRefusal(error)).toBe(true);
  });

  it('never reads message text: a foreign error is `invalid` whatever it says', () => {
    for (const error of [
      new NamedError('TokenExpiredError', 'jwt expired'),
      new NamedError('JsonWebTokenError', 'invalid signature'),
      new NamedError('JsonWebTokenError', 'jwt audience invalid. expected: a'),
      new Error('No auth token'),
      new TypeError('"ES256" signatures must be "64" bytes, saw "3"'),
    ]) {
      expect(refusalOf(error).reason).toBe('invalid');
      expect(isExpectedRefusal(error)).toBe(false);
    }
  });

  it('maps whatever is not an error to `invalid`', () => {
    expect(refusalOf('a string').reason).toBe('invalid');
    expect(refusalOf(undefined).reason).toBe('invalid');
  });
});

describe('refusalEvent', () => {
  it('carries the reason, the claim and where it happened, never more', () => {
    const request = { headers: {}, method: 'GET', url: '/api/x?token=secret', ip: '203.0.113.9', requestId: 'r-1' };
    expect(refusalEvent(request, new JwtRefusal('invalid_claims', 'sub'), 'u1')).toEqual({
      type: 'authentication.failure',
      reason: 'invalid_claims',
      route: 'GET /api/x',
      requestId: 'r-1',
      ip: '203.0.113.9',
      principalId: 'u1',
      details: { authMethod: 'jwt', claim: 'sub' },
    });
  });
});
