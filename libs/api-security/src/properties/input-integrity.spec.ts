import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsArray, IsDate, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { findInputViolations } from './input-integrity';
import { MultilineText } from './multiline-text.decorator';

class ItemDto {
  @IsString() sku!: string;
  @IsInt() quantity!: number;
}

class AddressDto {
  @IsString() city!: string;
  @IsOptional() @IsString() @MultilineText() lines?: string;
}

class OrderDto {
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items!: ItemDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;

  @IsOptional() @IsString() note?: string;

  @IsOptional() @IsString() @MultilineText() comment?: string;

  @IsOptional() @IsString({ each: true }) @MultilineText() paragraphs?: string[];

  @IsOptional() @IsDate() @Type(() => Date) due?: Date;
}

/** An array of DTOs declared by its type and `@IsArray`, without `each`. */
class BasketDto {
  @IsArray()
  @ValidateNested()
  @Type(() => ItemDto)
  items!: ItemDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => ItemDto)
  byName?: Map<string, ItemDto>;
}

class TreeDto {
  @IsString() name!: string;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => TreeDto) children?: TreeDto[];
}

class ShapeDto {
  @IsString() kind!: string;
}
class CircleDto extends ShapeDto {
  @IsInt() radius!: number;
}
class LabelDto extends ShapeDto {
  @IsString() @MultilineText() text!: string;
}
class DrawingDto {
  @ValidateNested({ each: true })
  @Type(() => ShapeDto, {
    keepDiscriminatorProperty: true,
    discriminator: {
      property: 'kind',
      subTypes: [
        { name: 'circle', value: CircleDto },
        { name: 'label', value: LabelDto },
      ],
    },
  })
  shapes!: ShapeDto[];
}

class InheritedOrderDto extends OrderDto {}

const strict = { controlCharacters: true } as const;
const fields = (value: unknown, type: unknown, options: Parameters<typeof findInputViolations>[2] = strict) =>
  findInputViolations(value, type, options).map((e) => e.field);

describe('findInputViolations: nested DTO shapes', () => {
  const item = { sku: 'A', quantity: 1 };

  it('accepts plain objects where nested DTOs are declared', () => {
    expect(fields({ items: [item, item], address: { city: 'Paris' } }, OrderDto)).toEqual([]);
    expect(fields({ items: [], address: null }, OrderDto)).toEqual([]);
  });

  it.each([
    [{ items: [[]] }, ['items[0]']],
    [{ items: [[item]] }, ['items[0]']],
    [{ items: [item, 5, 'x', null] }, ['items[1]', 'items[2]', 'items[3]']],
    [{ items: 5 }, ['items']],
    [{ items: item }, ['items']],
    [{ items: 'A' }, ['items']],
    [{ items: [item], address: [{ city: 'Paris' }] }, ['address']],
    [{ items: [item], address: 'Paris' }, ['address']],
    [{ items: [item], address: 7 }, ['address']],
  ])('refuses %j, naming %j', (value, expected) => {
    expect(fields(value, OrderDto)).toEqual(expected);
  });

  it('says what was expected', () => {
    expect(findInputViolations({ items: [[]], address: [] }, OrderDto, strict)).toEqual([
      { field: 'items[0]', message: 'items[0] must be an object' },
      { field: 'address', message: 'address must be an object' },
    ]);
    expect(findInputViolations({ items: 1 }, OrderDto, strict)[0]?.message).toBe('items must be an array of objects');
  });

  it('reads arrays from @IsArray or the declared type without each, and maps from a Map type', () => {
    expect(fields({ items: [[item]] }, BasketDto)).toEqual(['items[0]']);
    expect(fields({ items: [item], byName: { a: item, b: [item] } }, BasketDto)).toEqual(['byName.b']);
    expect(fields({ items: [item], byName: [item] }, BasketDto)).toEqual(['byName']);
  });

  it('descends into nested and recursive DTOs', () => {
    const tree = { name: 'root', children: [{ name: 'a', children: [[{ name: 'b' }]] }] };
    expect(fields(tree, TreeDto)).toEqual(['children[0].children[0]']);
  });

  it('follows inheritance', () => {
    expect(fields({ items: [[]] }, InheritedOrderDto)).toEqual(['items[0]']);
  });

  it('picks a discriminated sub-type by its discriminator', () => {
    const drawing = {
      shapes: [
        { kind: 'label', text: 'two\nlines' },
        { kind: 'circle', radius: 1 },
      ],
    };
    expect(fields(drawing, DrawingDto)).toEqual([]);
    // A circle has no `text`: its control characters are refused as in any undeclared value.
    const wrong = { shapes: [{ kind: 'circle', text: 'two\nlines' }, [{ kind: 'circle' }]] };
    expect(fields(wrong, DrawingDto).sort()).toEqual(['shapes[0].text', 'shapes[1]']);
  });

  it('leaves @Type of a built-in (Date) and undeclared values alone', () => {
    expect(fields({ items: [item], due: '2026-01-01' }, OrderDto)).toEqual([]);
    expect(fields({ anything: [[1]] }, undefined)).toEqual([]);
  });

  it('checks only shapes when control characters are not asked for', () => {
    const value = { items: [[item]], note: 'nul\u0000' };
    expect(fields(value, OrderDto, { controlCharacters: false })).toEqual(['items[0]']);
  });
});

describe('findInputViolations: control characters', () => {
  it.each(['\u0000', '\u0001', '\u0008', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f'])(
    'refuses %j in plain text',
    (character) => {
      expect(fields({ items: [], note: `a${character}b` }, OrderDto)).toEqual(['note']);
    },
  );

  it('accepts ordinary and non-Latin text, including characters above DEL', () => {
    expect(fields({ items: [], note: 'Zoë 東京 🚀 «» \u00a0\u200b' }, OrderDto)).toEqual([]);
  });

  it('allows tab, line feed and carriage return in @MultilineText, never NUL or ESC', () => {
    expect(fields({ items: [], comment: 'a\tb\r\nc', paragraphs: ['x\ny'] }, OrderDto)).toEqual([]);
    expect(fields({ items: [], comment: 'a\u0000' }, OrderDto)).toEqual(['comment']);
    expect(fields({ items: [], paragraphs: ['ok', 'esc\u001b'] }, OrderDto)).toEqual(['paragraphs[1]']);
    expect(findInputViolations({ items: [], comment: '\u0000' }, OrderDto, strict)[0]?.message).toBe(
      'comment must not contain control characters other than tab, line feed and carriage return',
    );
  });

  it('looks into nested DTOs, arrays and undeclared objects', () => {
    const value = {
      items: [{ sku: 'A\u0000', quantity: 1 }],
      address: { city: 'x\n', lines: 'one\ntwo' },
      extra: { deep: ['\u0000'] },
    };
    expect(fields(value, OrderDto)).toEqual(['items[0].sku', 'address.city', 'extra.deep[0]']);
  });

  it('refuses control characters in property names without echoing them', () => {
    expect(findInputViolations({ 'a\u0000b': 1 }, undefined, strict)).toEqual([
      { field: 'a\ufffdb', message: 'a\ufffdb is not an accepted property name' },
    ]);
  });

  it('checks a scalar at the root under its parameter name', () => {
    expect(findInputViolations('x\u0000', String, { ...strict, path: 'id', rootName: 'param' })).toEqual([
      { field: 'id', message: 'id must not contain control characters' },
    ]);
    expect(fields('x\u0000', undefined, { ...strict, rootName: 'body' })).toEqual(['body']);
    expect(fields(42, Number, strict)).toEqual([]);
  });

  it('reports at most `limit` problems', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, '\u0000']));
    expect(fields(many, undefined, { ...strict, limit: 10 })).toHaveLength(10);
  });
});
