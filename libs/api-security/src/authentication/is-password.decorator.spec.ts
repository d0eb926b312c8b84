import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { COMMON_PASSWORDS } from './common-passwords.data';
import { IS_PASSWORD, IsPassword } from './is-password.decorator';
import { commonPasswords, passwordPolicyViolation } from './password.policy';

class PasswordDto {
  @IsPassword()
  password!: unknown;
}

/** `length` letters that are neither one repeated character nor a listed password. */
const varied = (length: number): string =>
  Array.from({ length }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');

/** The messages of the `password` field, after the transform the validation pipe runs. */
async function messages(password: unknown): Promise<string[]> {
  const dto = plainToInstance(PasswordDto, { password });
  const errors = await validate(dto);
  expect(dto.password).toBe(password);
  return errors.flatMap((error) => {
    expect(error.property).toBe('password');
    return Object.values(error.constraints ?? {});
  });
}

describe('@IsPassword', () => {
  it.each([
    ['12 characters', varied(12)],
    ['128 characters', varied(128)],
    ['a passphrase with spaces', 'correct horse battery staple'],
    ['non-Latin letters', 'пароль-для-входа'],
    ['12 emoji counted as 12 characters', '😀🔑🚀🌍🎉🐙🍕🎸📚🧩🛸🌈'],
    ['no digit, symbol or capital (no composition rules)', 'plain lower case words'],
  ])('accepts %s', async (_, password) => {
    expect(await messages(password)).toEqual([]);
  });

  it('draws the length bounds at 12 and 128 code points', async () => {
    expect(await messages(varied(11))).toEqual(['password must be at least 12 characters long']);
    expect(await messages(varied(129))).toEqual(['password must be at most 128 characters long']);
    // 11 astral characters are 22 UTF-16 units: still too short.
    expect(await messages('😀🔑🚀🌍🎉🐙🍕🎸📚🧩🛸')).toEqual(['password must be at least 12 characters long']);
  });

  it('counts the NFC form, so a decomposed accent is one character', async () => {
    const decomposed = `${varied(10)}e\u0301`; // 12 code points as sent, 11 after composition
    expect([...decomposed]).toHaveLength(12);
    expect(await messages(decomposed)).toEqual(['password must be at least 12 characters long']);
  });

  it.each(['aaaaaaaaaaaa', 'AAAAAAAAAAAAAAAA', '111111111111', '🔑'.repeat(12), 'aAaAaAaAaAaA'])(
    'refuses one character repeated: %j',
    async (password) => {
      expect(await messages(password)).toEqual(['password must not be one character repeated']);
    },
  );

  it.each([' '.repeat(12), '\u3000'.repeat(12), ' \u00a0'.repeat(6), '\u200b'.repeat(12), ` ${'\u200b'.repeat(11)}`])(
    'refuses white space and invisible characters alone: %j',
    async (password) => {
      expect(await messages(password)).toEqual(['password must not be only spaces or invisible characters']);
    },
  );

  it.each(['password1234', 'PASSWORD1234', 'PassWord1234', 'ｐａｓｓｗｏｒｄ１２３４', 'QazWsxEdcRfv', '1qaz2wsx3edc'])(
    'refuses a listed password, whatever its case or width: %s',
    async (password) => {
      expect(await messages(password)).toEqual([
        'password is too common: choose one that is not on lists of common or breached passwords',
      ]);
    },
  );

  it('ships at least the 10,000 most common passwords, loaded once into a set', () => {
    const entries = COMMON_PASSWORDS.split('\n');
    expect(entries.length).toBeGreaterThanOrEqual(10_000);
    expect(entries.slice(0, 3)).toEqual(['123456', 'password', '12345678']);
    expect(commonPasswords()).toBe(commonPasswords());
    expect(commonPasswords().size).toBe(entries.length);
    for (const entry of entries) expect(entry).toBe(entry.normalize('NFKC').toLowerCase());
  });

  it('refuses every listed password, by length, repetition or the list itself', () => {
    const accepted = COMMON_PASSWORDS.split('\n').filter((entry) => passwordPolicyViolation(entry) === undefined);
    expect(accepted).toEqual([]);
  });

  it('refuses what is not a string, and never echoes the password', async () => {
    expect(await messages(123456789012)).toEqual(['password must be a string']);
    expect(await messages(undefined)).toEqual(['password must be a string']);
    for (const message of await messages('password1234')) expect(message).not.toContain('password1234');
  });

  it('records its bounds for the OpenAPI schema', () => {
    expect(IS_PASSWORD).toBe('isPassword');
  });
});
