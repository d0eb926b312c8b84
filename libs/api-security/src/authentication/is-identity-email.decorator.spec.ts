import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { normalizeIdentityEmail } from './identity-email';
import { IsIdentityEmail } from './is-identity-email.decorator';

class EmailDto {
  @IsIdentityEmail()
  email!: unknown;
}

class EmailListDto {
  @IsIdentityEmail({ each: true })
  emails!: unknown;
}

/** What the handler would receive and the messages of the `email` field, as the validation pipe runs them. */
async function check(email: unknown): Promise<{ value: unknown; messages: string[] }> {
  const dto = plainToInstance(EmailDto, { email });
  const errors = await validate(dto);
  return { value: dto.email, messages: errors.flatMap((error) => Object.values(error.constraints ?? {})) };
}

describe('@IsIdentityEmail', () => {
  it.each([
    ['ann@example.com', 'ann@example.com'],
    ['  Ann.Lee+news@Example.COM ', 'ann.lee+news@example.com'],
    // NFKC folds fullwidth forms to ASCII, so the look-alike is the same identity as the real one.
    ['ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ', 'admin@example.com'],
    ['ＡＤＭＩＮ@example.com', 'admin@example.com'],
    // One script per part, and the usual CJK mixes with Latin, are fine.
    ['иван@пример.рф', 'иван@пример.рф'],
    ['Δοκιμή@example.gr', 'δοκιμή@example.gr'],
    ['田中taro@example.jp', '田中taro@example.jp'],
    ['ｔａｒｏ.やまだ@example.jp', 'taro.やまだ@example.jp'],
  ])('accepts %j as %j', async (input, normalized) => {
    expect(await check(input)).toEqual({ value: normalized, messages: [] });
    expect(normalizeIdentityEmail(input)).toBe(normalized);
  });

  it.each([
    ['zero-width space', 'ad\u200bmin@example.com'],
    ['zero-width joiner', 'ad\u200dmin@example.com'],
    ['zero-width non-joiner', 'ad\u200cmin@example.com'],
    ['word joiner', 'ad\u2060min@example.com'],
    ['byte order mark inside', 'ad\ufeffmin@example.com'],
    ['soft hyphen', 'ad\u00admin@example.com'],
    ['right-to-left override', 'admin\u202e@example.com'],
    ['left-to-right mark', '\u200eadmin@example.com'],
    ['right-to-left isolate', 'ad\u2067min@example.com'],
    ['Arabic letter mark', 'admin\u061c@example.com'],
    ['Hangul filler', 'ad\u3164min@example.com'],
    ['line separator', 'ad\u2028min@example.com'],
    ['private-use character', 'ad\ue000min@example.com'],
  ])('refuses a %s', async (_, email) => {
    const { messages } = await check(email);
    expect(messages).toEqual(['email must not contain invisible or text-direction characters']);
  });

  it.each([
    ['a Cyrillic а among Latin letters', 'p\u0430ypal@example.com'],
    ['a Cyrillic о in the domain', 'ann@ex\u0430mple.com'],
    ['a Greek ο among Latin letters', 'g\u03bfogle@example.com'],
    ['Cyrillic and Greek together', '\u0430\u03b2@example.com'],
    ['an Arabic-Indic digit among Latin', 'user\u0661@example.com'],
  ])('refuses %s', async (_, email) => {
    const { messages } = await check(email);
    expect(messages).toEqual(['email must not mix letters of different scripts in one part']);
  });

  it.each([
    ['no @', 'admin.example.com'],
    ['no domain dot', 'admin@localhost'],
    ['a display name', 'Admin <admin@example.com>'],
    ['a space inside', 'ad min@example.com'],
    ['nothing', ''],
    ['blank', '   '],
    ['a number', 42],
    ['null', null],
  ])('refuses %s as not an address', async (_, email) => {
    expect((await check(email)).messages).toEqual(['email must be a valid email address']);
  });

  it('refuses more than 254 bytes', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`;
    expect(email).toHaveLength(255);
    expect((await check(email)).messages).toEqual(['email must be at most 254 bytes long']);
    expect((await check(email.slice(1))).messages).toEqual([]);
  });

  it('normalises and checks each element with each: true', async () => {
    const dto = plainToInstance(EmailListDto, { emails: [' A@Example.com', 'ｂ@example.com'] });
    expect(dto.emails).toEqual(['a@example.com', 'b@example.com']);
    expect(await validate(dto)).toEqual([]);
    const bad = plainToInstance(EmailListDto, { emails: ['a@example.com', 'ad\u200bmin@example.com'] });
    expect(await validate(bad)).toHaveLength(1);
  });
});
