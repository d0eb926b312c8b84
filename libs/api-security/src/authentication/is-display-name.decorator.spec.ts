import { plainToInstance } from 'class-transformer';
import { IsOptional, validate } from 'class-validator';
import { IsDisplayName } from './is-display-name.decorator';

class NameDto {
  @IsDisplayName()
  name!: unknown;
}

class ShortNameDto {
  @IsOptional()
  @IsDisplayName({ maxLength: 5 })
  name?: unknown;
}

async function check(name: unknown, type: new () => object = NameDto): Promise<{ value: unknown; messages: string[] }> {
  const dto = plainToInstance(type, { name }) as { name?: unknown };
  const errors = await validate(dto);
  return { value: dto.name, messages: errors.flatMap((error) => Object.values(error.constraints ?? {})) };
}

describe('@IsDisplayName', () => {
  it.each([
    ['Ann', 'Ann'],
    ['  Ann Lee  ', 'Ann Lee'],
    ['\u3000Ann\u00a0', 'Ann'],
    ['Li 李', 'Li 李'],
    // Decomposed é is stored composed (NFC), so equal names compare equal.
    ['Rene\u0301', 'René'],
    // Persian needs the zero-width non-joiner between letters; emoji sequences need ZWJ and VS16.
    ['\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645', '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645'],
    ['Ann 👩\u200d💻', 'Ann 👩\u200d💻'],
    ['Ann ❤\ufe0f', 'Ann ❤\ufe0f'],
  ])('accepts %j, trimmed and composed to %j', async (input, stored) => {
    expect(await check(input)).toEqual({ value: stored, messages: [] });
  });

  it.each(['', ' ', '   ', '\u3000', ' \u00a0 '])('refuses a name that is empty once trimmed: %j', async (name) => {
    expect((await check(name)).messages).toEqual(['name must not be empty']);
  });

  it.each([
    ['a zero-width space alone', '\u200b'],
    ['a zero-width space inside', 'An\u200bn'],
    ['a right-to-left override', 'Ann\u202egpj.exe'],
    ['a left-to-right isolate', '\u2066Ann'],
    ['a joiner alone', '\u200d'],
    ['a leading joiner', '\u200cAnn'],
    ['a trailing joiner', 'Ann\u200d'],
    ['a leading variation selector', '\ufe0fAnn'],
    ['a paragraph separator', 'Ann\u2029Lee'],
    ['an unassigned code point', 'Ann\u0378'],
  ])('refuses %s', async (_, name) => {
    expect((await check(name)).messages).toEqual(['name must not contain invisible or text-direction characters']);
  });

  it('counts code points after trimming against maxLength (default 100)', async () => {
    expect((await check(` ${'a'.repeat(100)} `)).messages).toEqual([]);
    expect((await check('a'.repeat(101))).messages).toEqual(['name must be at most 100 characters long']);
    expect((await check('😀'.repeat(100))).messages).toEqual([]);
    expect((await check(' abcde ', ShortNameDto)).messages).toEqual([]);
    expect((await check('abcdef', ShortNameDto)).messages).toEqual(['name must be at most 5 characters long']);
    expect((await check(undefined, ShortNameDto)).messages).toEqual([]);
  });

  it('refuses what is not a string', async () => {
    expect((await check(42)).messages).toEqual(['name must be a string']);
    expect((await check(null)).messages).toEqual(['name must be a string']);
  });

  it('refuses a maxLength that is not a positive integer', () => {
    expect(() => IsDisplayName({ maxLength: 0 })).toThrow(/maxLength/);
    expect(() => IsDisplayName({ maxLength: 1.5 })).toThrow(/maxLength/);
  });
});
