import { errors } from 'jose';
import { JwtRefusal, refusalOf } from './jwt-refusal';

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
    [new NamedError('TokenExpiredError', 'jwt expired'), 'expired'],
    [new NamedError('NotBeforeError', 'jwt not active'), 'not_yet_valid'],
    [new NamedError('JsonWebTokenError', 'invalid signature'), 'bad_signature'],
    [new NamedError('JsonWebTokenError', 'jwt signature is required'), 'bad_signature'],
    [new TypeError('"ES256" signatures must be "64" bytes, saw "3"'), 'bad_signature'],
    [new NamedError('JsonWebTokenError', 'jwt audience invalid. expected: a'), 'wrong_audience'],
    [new NamedError('JsonWebTokenError', 'jwt issuer invalid. expected: a'), 'wrong_issuer'],
    [new NamedError('JsonWebTokenError', 'invalid algorithm'), 'alg_not_allowed'],
    [new NamedError('JsonWebTokenError', 'invalid exp value'), 'invalid_claims'],
    [new NamedError('JsonWebTokenError', 'jwt malformed'), 'malformed'],
    [new Error('No auth token'), 'malformed'],
    [new errors.JWTExpired('x', {}), 'expired'],
    [new errors.JWTClaimValidationFailed('x', {}, 'nbf'), 'not_yet_valid'],
    [new errors.JWTClaimValidationFailed('x', {}, 'iss'), 'wrong_issuer'],
    [new errors.JWTClaimValidationFailed('x', {}, 'aud'), 'wrong_audience'],
    [new errors.JWTClaimValidationFailed('x', {}, 'exp'), 'invalid_claims'],
    [new errors.JWSSignatureVerificationFailed(), 'bad_signature'],
    [new errors.JOSEAlgNotAllowed('x'), 'alg_not_allowed'],
    [new errors.JWKSNoMatchingKey(), 'unknown_kid'],
    [new errors.JWKSTimeout(), 'jwks_unavailable'],
    [new errors.JWSInvalid('x'), 'malformed'],
    [new Error('something else'), 'invalid'],
    ['a string', 'invalid'],
    [undefined, 'invalid'],
  ])('maps %p to %s', (error, reason) => {
    expect(refusalOf(error).reason).toBe(reason);
  });
});
