import { readAccessTokenHeader } from './dpop-authorization';
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
