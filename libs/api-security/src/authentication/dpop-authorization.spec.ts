import { challengeSchemeOf, readAccessTokenHeader } from './dpop-authorization';
import { JwtRefusal } from './jwt-refusal';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

describe('readAccessTokenHeader', () => {
  it.each([
    [`DPoP ${TOKEN}`, 'DPoP'],
    [`dpop ${TOKEN}`, 'DPoP'],
    [`DPOP ${TOKEN}`, 'DPoP'],
    [`Bearer ${TOKEN}`, 'Bearer'],
    [`bearer ${TOKEN}`, 'Bearer'],
  ])('reads %s as the %s scheme', (header, scheme) => {
    expect(readAccessTokenHeader(header)).toEqual({ scheme, token: TOKEN });
  });

  it.each([
    `DPoP  ${TOKEN}`,
    `DPoP\t${TOKEN}`,
    `DPoP ${TOKEN} `,
    ` DPoP ${TOKEN}`,
    'DPoP ',
    `DPoP ${TOKEN},x`,
    `DPoPx ${TOKEN}`,
  ])('refuses %j as a malformed header', (header) => {
    const read = readAccessTokenHeader(header);
    expect(read).toBeInstanceOf(JwtRefusal);
    expect((read as JwtRefusal).reason).toBe('malformed_header');
  });

  it('refuses a header sent twice and an oversized one', () => {
    expect(readAccessTokenHeader([`DPoP ${TOKEN}`, `DPoP ${TOKEN}`])).toMatchObject({ reason: 'malformed_header' });
    expect(readAccessTokenHeader(`DPoP ${'a'.repeat(9000)}`)).toMatchObject({ reason: 'too_large' });
  });
});

describe('challengeSchemeOf', () => {
  it.each([`DPoP  ${TOKEN}`, `dpop ${TOKEN} x`, 'DPoP', 'DPOP ', `DPoP\t${TOKEN}`])(
    'challenges %j in the DPoP scheme (its auth-scheme is DPoP, RFC 9110 §11.4)',
    (header) => {
      expect(challengeSchemeOf(header)).toBe('DPoP');
    },
  );

  it.each([`Bearer  ${TOKEN}`, `DPoPx ${TOKEN}`, ` DPoP ${TOKEN}`, 'Basic abc', ''])(
    'challenges %j as Bearer',
    (header) => {
      expect(challengeSchemeOf(header)).toBe('Bearer');
    },
  );

  it('challenges a header sent twice as Bearer (no single scheme)', () => {
    expect(challengeSchemeOf([`DPoP ${TOKEN}`, `DPoP ${TOKEN}`])).toBe('Bearer');
  });
});
