import { ApiSecurityConfigError, resolveApiSecurityOptions } from '../api-security.options';
import { DEFAULT_API_KEY_OPTIONS, resolveApiKeyOptions, type ApiKeyOptions } from './api-key.options';

function problemsOf(options: ApiKeyOptions): string[] {
  const problems: string[] = [];
  resolveApiKeyOptions(options, problems);
  return problems;
}

describe('resolveApiKeyOptions', () => {
  it('fills the documented defaults without a problem', () => {
    const problems: string[] = [];
    expect(resolveApiKeyOptions(undefined, problems)).toEqual({
      keyPrefix: 'sk_live_',
      header: 'x-api-key',
      touchIntervalSeconds: 60,
    });
    expect(problems).toEqual([]);
    expect(resolveApiSecurityOptions().apiKeys).toEqual(DEFAULT_API_KEY_OPTIONS);
  });

  it('accepts valid values and lower-cases the header name', () => {
    const problems: string[] = [];
    expect(
      resolveApiKeyOptions({ keyPrefix: 'pk_test_', header: 'X-Service-Key', touchIntervalSeconds: 0 }, problems),
    ).toEqual({ keyPrefix: 'pk_test_', header: 'x-service-key', touchIntervalSeconds: 0 });
    expect(problems).toEqual([]);
  });

  it.each([
    'sk_live',
    'SK_LIVE_',
    'sk-live-',
    's_live_',
    'sk_l_',
    'abcdefghi_live_',
    'sk_live_x_',
    'sk__',
    '',
    'sk_liv3_',
  ])('refuses the key prefix %p with one message naming the option and the fix', (keyPrefix) => {
    const problems = problemsOf({ keyPrefix });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('apiKeys.keyPrefix');
    expect(problems[0]).toContain("like 'sk_live_'");
  });

  it.each(['', 'x', 'x api key', 'x_api_key', 'x-api-key\r\nSet-Cookie: a=b', '-x', 'x-', 'x'.repeat(65)])(
    'refuses the header name %p',
    (header) => {
      const problems = problemsOf({ header });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('apiKeys.header');
      expect(problems[0]).toContain("like 'x-api-key'");
      expect(problems[0]).not.toMatch(/[\r\n]/);
    },
  );

  it.each(['Authorization', 'cookie', 'proxy-authorization', 'host'])('refuses the reserved header %p', (header) => {
    const problems = problemsOf({ header });
    expect(problems).toEqual([expect.stringContaining('reserved')]);
    expect(problems[0]).toContain('apiKeys.header');
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 86_401, '60' as unknown as number])(
    'refuses the touch interval %p',
    (touchIntervalSeconds) => {
      const problems = problemsOf({ touchIntervalSeconds });
      expect(problems).toEqual([expect.stringContaining('apiKeys.touchIntervalSeconds must be a whole number')]);
    },
  );

  it('reports every problem at once through resolveApiSecurityOptions, and stops the boot', () => {
    let error: unknown;
    try {
      resolveApiSecurityOptions({ apiKeys: { keyPrefix: 'bad', header: 'cookie', touchIntervalSeconds: -5 } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    const { problems } = error as ApiSecurityConfigError;
    expect(problems.filter((p) => p.startsWith('apiKeys.'))).toHaveLength(3);
  });

  it('keeps a long rejected value short in the message', () => {
    const [problem] = problemsOf({ keyPrefix: 'a'.repeat(500) });
    expect(problem!.length).toBeLessThan(200);
  });
});
