import { missingServiceVariables, runningInCi } from './support/services';

// The switch between "skipped locally" and "failing in CI" for the suites that need real services.
describe('test services (test/support/services.ts)', () => {
  it.each([
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'woodpecker' }, true],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{ CI: ' ' }, false],
    [{}, false],
  ])('treats %p as CI: %p', (env, expected) => {
    expect(runningInCi(env)).toBe(expected);
  });

  it('names each missing or blank variable, and none when all are set', () => {
    expect(missingServiceVariables(['redis', 'postgres'], {})).toEqual(['REDIS_URL', 'DATABASE_URL']);
    expect(missingServiceVariables(['redis', 'postgres'], { REDIS_URL: 'redis://h', DATABASE_URL: ' ' })).toEqual([
      'DATABASE_URL',
    ]);
    expect(missingServiceVariables(['postgres'], { DATABASE_URL: 'postgres://h/db' })).toEqual([]);
  });
});
