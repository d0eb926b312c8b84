import { ApiSecurityConfigError, resolveApiSecurityOptions } from '../api-security.options';
import { DEFAULT_SESSION_OPTIONS, resolveSessionOptions, type SessionOptions } from './session.options';

function problemsOf(options: unknown): string[] {
  const problems: string[] = [];
  resolveSessionOptions(options as SessionOptions, problems);
  return problems;
}

describe('resolveSessionOptions', () => {
  it.each([-1, 61, 2.5, '5'])('refuses principalCheckCacheSeconds %p (0 to 60 whole seconds)', (value) => {
    expect(problemsOf({ principalCheckCacheSeconds: value })).toEqual([
      expect.stringContaining('sessions.principalCheckCacheSeconds must be a whole number of seconds from 0 to 60'),
    ]);
  });

  it('fills in the documented defaults', () => {
    const problems: string[] = [];
    expect(resolveSessionOptions(undefined, problems)).toEqual({
      refreshIdleSeconds: 1_209_600,
      refreshReuseGraceSeconds: 0,
      maxFailures: 5,
      lockoutSeconds: 900,
      maxFailuresPerIpPerDay: 100,
      argon2: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
      principalCheckCacheSeconds: 5,
    });
    expect(problems).toEqual([]);
    expect(resolveApiSecurityOptions().sessions).toEqual(DEFAULT_SESSION_OPTIONS);
  });

  it('keeps valid values', () => {
    const options: SessionOptions = {
      refreshIdleSeconds: 3600,
      refreshReuseGraceSeconds: 10,
      maxFailures: 3,
      lockoutSeconds: 60,
      maxFailuresPerIpPerDay: 1000,
      argon2: { memoryCost: 47_104, timeCost: 1, parallelism: 4 },
      principalCheckCacheSeconds: 0,
    };
    const problems: string[] = [];
    expect(resolveSessionOptions(options, problems)).toEqual(options);
    expect(problems).toEqual([]);
  });

  it.each([
    [{ memoryCost: 47_104, timeCost: 1 }],
    [{ memoryCost: 19_456, timeCost: 2 }],
    [{ memoryCost: 12_288, timeCost: 3 }],
    [{ memoryCost: 9_216, timeCost: 4 }],
    [{ memoryCost: 7_168, timeCost: 5 }],
  ])('accepts the OWASP argon2id configuration %p', (argon2) => {
    expect(problemsOf({ argon2 })).toEqual([]);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'refreshIdleSeconds',
      { refreshIdleSeconds: 0 },
      /^sessions\.refreshIdleSeconds must be .* from 60 to 31536000 \(got 0\)/,
    ],
    ['refreshIdleSeconds', { refreshIdleSeconds: 1.5 }, /^sessions\.refreshIdleSeconds .*\(got 1\.5\)/],
    [
      'refreshReuseGraceSeconds',
      { refreshReuseGraceSeconds: -1 },
      /^sessions\.refreshReuseGraceSeconds .* from 0 to 60/,
    ],
    ['refreshReuseGraceSeconds', { refreshReuseGraceSeconds: 61 }, /^sessions\.refreshReuseGraceSeconds/],
    ['maxFailures', { maxFailures: 0 }, /^sessions\.maxFailures must be a whole number from 1 to 100/],
    ['maxFailures', { maxFailures: '5' }, /^sessions\.maxFailures .*\(got "5"\)/],
    ['lockoutSeconds', { lockoutSeconds: 86_401 }, /^sessions\.lockoutSeconds .* from 1 to 86400/],
    ['maxFailuresPerIpPerDay', { maxFailuresPerIpPerDay: 0 }, /^sessions\.maxFailuresPerIpPerDay .* from 1 to 1000000/],
    [
      'argon2.memoryCost',
      { argon2: { memoryCost: 4096 } },
      /^sessions\.argon2\.memoryCost .* KiB from 7168 to 1048576/,
    ],
    ['argon2.timeCost', { argon2: { timeCost: 11 } }, /^sessions\.argon2\.timeCost .* from 1 to 10/],
    ['argon2.parallelism', { argon2: { parallelism: 0 } }, /^sessions\.argon2\.parallelism .* from 1 to 16/],
    [
      'argon2 product',
      { argon2: { memoryCost: 19_456, timeCost: 1 } },
      /^sessions\.argon2 memoryCost × timeCost is 19456, below the OWASP minimum of 35840: raise/,
    ],
    ['argon2 shape', { argon2: 'strong' }, /^sessions\.argon2 must be an object/],
    ['sessions shape', 5, /^sessions must be an object/],
  ])('reports one problem naming sessions.%s and the fix', (_name, options, message) => {
    const problems = problemsOf(options);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('reports every problem at once, through resolveApiSecurityOptions', () => {
    const error = (() => {
      try {
        resolveApiSecurityOptions({ sessions: { maxFailures: 0, lockoutSeconds: 0 } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    expect((error as ApiSecurityConfigError).problems).toEqual([
      expect.stringMatching(/^sessions\.maxFailures/),
      expect.stringMatching(/^sessions\.lockoutSeconds/),
    ]);
  });

  it('keeps a rejected value short in the message', () => {
    const [problem] = problemsOf({ lockoutSeconds: 'x'.repeat(500) });
    expect(problem!.length).toBeLessThan(200);
  });
});
