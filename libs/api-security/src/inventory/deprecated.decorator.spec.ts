import { compileDeprecation } from './deprecated.decorator';

describe('compileDeprecation', () => {
  it('precomputes RFC 9745, RFC 8594 and Link header values', () => {
    const plan = compileDeprecation(
      {
        since: '2026-01-01T00:00:00Z',
        sunset: new Date('2027-01-01T00:00:00Z'),
        successor: '/api/v2/x',
        link: 'https://d.example/m',
      },
      'C.h',
    );
    expect(plan).toEqual({
      since: Date.parse('2026-01-01T00:00:00Z'),
      sunset: Date.parse('2027-01-01T00:00:00Z'),
      successor: '/api/v2/x',
      link: 'https://d.example/m',
      afterSunset: 'gone',
      headers: {
        Deprecation: '@1767225600',
        Sunset: 'Fri, 01 Jan 2027 00:00:00 GMT',
        Link: '</api/v2/x>; rel="successor-version", <https://d.example/m>; rel="deprecation"; type="text/html"',
      },
    });
  });

  it('uses `Deprecation: true` without a date and sends no Link without targets', () => {
    expect(compileDeprecation({ sunset: '2027-01-01', afterSunset: 'serve' }, 'C.h').headers).toEqual({
      Deprecation: 'true',
      Sunset: 'Fri, 01 Jan 2027 00:00:00 GMT',
    });
  });

  it('refuses at boot what would make a bad header', () => {
    expect(() => compileDeprecation({ sunset: 'soon' }, 'C.h')).toThrow(/C\.h: sunset "soon" is not a date/);
    expect(() => compileDeprecation({ sunset: '2027-01-01', since: '2028-01-01' }, 'C.h')).toThrow(
      /since is after sunset/,
    );
    expect(() => compileDeprecation({ sunset: '2027-01-01', successor: '/x>; rel="evil"' }, 'C.h')).toThrow(
      /successor/,
    );
    expect(() => compileDeprecation({ sunset: '2027-01-01', link: 'https://a.example/\r\nX: 1' }, 'C.h')).toThrow(
      /link/,
    );
    expect(() => compileDeprecation({ sunset: '2027-01-01', afterSunset: 'never' as never }, 'C.h')).toThrow(
      /afterSunset/,
    );
  });
});
