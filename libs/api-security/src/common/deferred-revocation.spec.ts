import {
  deferRevocation,
  offerRevocationDeferral,
  takeDeferredRevocation,
  type DeferredRevocation,
} from './deferred-revocation';

const check = (): DeferredRevocation => ({
  records: { marks: ['{u:1}:jti:a'] },
  isRevoked: () => false,
  refuse: async () => new Error('revoked'),
});

describe('deferred revocation', () => {
  it('is refused where no rate-limit step offered to settle it: the authenticator checks revocation itself', () => {
    const make = jest.fn(check);
    expect(deferRevocation({}, make)).toBe(false);
    expect(make).not.toHaveBeenCalled();
  });

  it('is taken once per request, and handed back to the step that offered it', () => {
    const request = {};
    offerRevocationDeferral(request);
    const first = check();
    expect(deferRevocation(request, () => first)).toBe(true);
    expect(deferRevocation(request, check)).toBe(false);
    expect(takeDeferredRevocation(request)).toBe(first);
    expect(takeDeferredRevocation(request)).toBeUndefined();
  });

  it('ends the offer when taken: a later authentication of the same request checks revocation itself', () => {
    const request = {};
    offerRevocationDeferral(request);
    expect(takeDeferredRevocation(request)).toBeUndefined();
    expect(deferRevocation(request, check)).toBe(false);
  });
});
