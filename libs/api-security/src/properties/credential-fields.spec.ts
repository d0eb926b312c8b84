import { CredentialFieldMatcher, DEFAULT_CREDENTIAL_FIELDS, resolveCredentialFieldOptions } from './credential-fields';

describe('credential field names', () => {
  const defaults = new CredentialFieldMatcher({ names: DEFAULT_CREDENTIAL_FIELDS, allow: [] });

  it.each([
    'password',
    'passwordHash',
    'password_hash',
    'PASSWORD-RESET-CODE',
    'passwd',
    'passphrase',
    'clientSecret',
    'secret',
    'mfa_secret_key',
    'token',
    'accessToken',
    'refresh_token',
    'idToken',
    'refreshTokenHash',
    'keyHash',
    'apiKey',
    'api_key',
    'privateKey',
    'signingPrivateKey',
  ])('treats %s as a credential', (name) => {
    expect(defaults.matches(name)).toBe(true);
  });

  it.each(['id', 'email', 'tokenType', 'tokenId', 'tokensValidAfter', 'accountHash', 'contentHash', 'apiKeys', 'key'])(
    'leaves %s alone',
    (name) => {
      expect(defaults.matches(name)).toBe(false);
    },
  );

  it('applies the allow list after normalization', () => {
    const matcher = new CredentialFieldMatcher({ names: ['*token'], allow: ['csrf_token'] });
    expect(matcher.matches('csrfToken')).toBe(false);
    expect(matcher.matches('accessToken')).toBe(true);
  });

  it('treats pattern characters other than * literally', () => {
    const matcher = new CredentialFieldMatcher({ names: ['a-b'], allow: [] });
    expect(matcher.matches('ab')).toBe(true);
    expect(matcher.matches('axb')).toBe(false);
  });

  it('refuses patterns that are not names or that match everything', () => {
    const problems: string[] = [];
    resolveCredentialFieldOptions({ names: ['*', 'a.b', 'ok*'], allow: ['x*'] }, problems);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/every field/);
    const none: string[] = [];
    resolveCredentialFieldOptions({ names: 'password' as unknown as string[] }, none);
    expect(none).toEqual(['credentialFields.names must be an array of field names.']);
  });

  it('defaults to the documented list', () => {
    expect(resolveCredentialFieldOptions(undefined, [])).toEqual({ names: DEFAULT_CREDENTIAL_FIELDS, allow: [] });
  });
});
