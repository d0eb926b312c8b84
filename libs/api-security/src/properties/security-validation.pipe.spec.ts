import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import { ValidationProblemException, type FieldError } from '../errors/security.exception';
import { findInputViolations } from './input-integrity';
import { findPrototypeKeys } from './prototype-keys';
import { MultilineText } from './multiline-text.decorator';
import { flattenValidationErrors, SecurityValidationPipe } from './security-validation.pipe';

describe('flattenValidationErrors', () => {
  it('names nested and array fields with a path', () => {
    const errors: ValidationError[] = [
      { property: 'role', constraints: { whitelistValidation: 'property role should not exist' }, children: [] },
      {
        property: 'items',
        children: [
          {
            property: '0',
            children: [{ property: 'quantity', constraints: { max: 'quantity must not be greater than 100' } }],
          },
        ],
      },
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'role', message: 'property role should not exist' },
      { field: 'items[0].quantity', message: 'quantity must not be greater than 100' },
    ]);
  });
});

describe('SecurityValidationPipe', () => {
  class NoteDto {
    @IsString() note!: string;
  }
  const pipe = new SecurityValidationPipe();
  const body = (data?: string): ArgumentMetadata => ({ type: 'body', metatype: NoteDto, data });

  async function problem(run: Promise<unknown>): Promise<ValidationProblemException> {
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationProblemException);
    return error as ValidationProblemException;
  }

  it('transforms a valid body into the DTO', async () => {
    await expect(pipe.transform({ note: 'hi' }, body())).resolves.toBeInstanceOf(NoteDto);
  });

  it('refuses an unknown field, naming it', async () => {
    const error = await problem(pipe.transform({ note: 'hi', role: 'admin' }, body()));
    expect(error.errors).toEqual([{ field: 'role', message: 'property role should not exist' }]);
  });

  it('refuses prototype keys in a body before class-transformer copies them', async () => {
    const error = await problem(pipe.transform(JSON.parse('{"note": "x", "__proto__": {"isAdmin": true}}'), body()));
    expect(error.errors?.map((e) => e.field)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('names the bound property for @Body(property) and refuses them in query objects too', async () => {
    const nested = await problem(pipe.transform({ a: [{ prototype: 1 }] }, body('profile')));
    expect(nested.errors?.map((e) => e.field)).toEqual(['profile.a[0].prototype']);
    const query = Object.assign(Object.create(null) as Record<string, unknown>, { constructor: 'x' });
    const fromQuery = await problem(pipe.transform(query, { type: 'query', metatype: Object }));
    expect(fromQuery.errors?.map((e) => e.field)).toEqual(['constructor']);
  });

  it('leaves route params and scalars alone', async () => {
    await expect(pipe.transform('constructor', { type: 'param', metatype: String, data: 'id' })).resolves.toBe(
      'constructor',
    );
  });
});

describe('SecurityValidationPipe input integrity', () => {
  class ItemDto {
    @IsString() sku!: string;
  }
  class OrderDto {
    @ValidateNested({ each: true })
    @Type(() => ItemDto)
    items!: ItemDto[];

    @IsOptional() @IsString() name?: string;

    @IsOptional() @IsString() @MultilineText() bio?: string;
  }
  const pipe = new SecurityValidationPipe();
  const body = (data?: string): ArgumentMetadata => ({ type: 'body', metatype: OrderDto, data });

  async function fields(run: Promise<unknown>): Promise<string[]> {
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationProblemException);
    return ((error as ValidationProblemException).errors ?? []).map((e) => e.field);
  }

  it('refuses arrays where a nested DTO is declared, which class-validator alone accepts', async () => {
    expect(await fields(pipe.transform({ items: [[]] }, body()))).toEqual(['items[0]']);
    expect(await fields(pipe.transform({ items: [[{ sku: 'A' }]] }, body()))).toEqual(['items[0]']);
    expect(await fields(pipe.transform({ items: [[]] }, body('order')))).toEqual(['order.items[0]']);
    await expect(pipe.transform({ items: [{ sku: 'A' }] }, body())).resolves.toBeInstanceOf(OrderDto);
  });

  it('refuses control characters in body, query and route parameters, except line layout in @MultilineText', async () => {
    expect(await fields(pipe.transform({ items: [], name: 'a\u0000' }, body()))).toEqual(['name']);
    expect(await fields(pipe.transform({ items: [], name: 'two\nlines' }, body()))).toEqual(['name']);
    await expect(pipe.transform({ items: [], bio: 'two\r\nlines\tand a tab' }, body())).resolves.toBeInstanceOf(
      OrderDto,
    );
    expect(await fields(pipe.transform({ items: [], bio: 'nul\u0000' }, body()))).toEqual(['bio']);
    const query = Object.assign(Object.create(null) as Record<string, unknown>, { q: 'x\u001b[31m' });
    expect(await fields(pipe.transform(query, { type: 'query', metatype: Object }))).toEqual(['q']);
    expect(await fields(pipe.transform('id\u0000', { type: 'param', metatype: String, data: 'id' }))).toEqual(['id']);
  });

  it('leaves custom parameter decorators alone', async () => {
    await expect(pipe.transform('a\u0000', { type: 'custom', metatype: String })).resolves.toBe('a\u0000');
  });
});

describe('SecurityValidationPipe: one walk for prototype keys and integrity', () => {
  class LineDto {
    @IsString() sku!: string;
  }
  class AddressDto {
    @IsOptional() @IsString() city?: string;
  }
  class CartDto {
    @ValidateNested({ each: true })
    @Type(() => LineDto)
    lines!: LineDto[];

    @IsOptional() @ValidateNested() @Type(() => AddressDto) shipTo?: AddressDto;

    @IsOptional() @IsString() @MultilineText() note?: string;

    @IsOptional()
    @ValidateNested({ each: true })
    @Type(() => LineDto)
    byId?: Map<string, LineDto>;
  }
  const pipe = new SecurityValidationPipe();

  /** The pipe as it was: every prototype key first, on a walk of its own, then the integrity walk. */
  function before(value: unknown, metadata: ArgumentMetadata): FieldError[] | undefined {
    const data = typeof metadata.data === 'string' ? metadata.data : '';
    if (typeof value === 'object' && value !== null) {
      const poisoned = findPrototypeKeys(value);
      const prefix = data ? `${data}.` : '';
      if (poisoned.length > 0)
        return poisoned.map((p) => ({
          field: `${prefix}${p}`,
          message: `${prefix}${p} is not an accepted property name`,
        }));
    }
    const errors = findInputViolations(value, metadata.metatype, {
      controlCharacters: true,
      path: data,
      rootName: metadata.type,
    });
    return errors.length > 0 ? errors : undefined;
  }

  async function after(value: unknown, metadata: ArgumentMetadata): Promise<FieldError[] | undefined> {
    const error = await pipe.transform(value, metadata).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof ValidationProblemException)) return undefined;
    // class-validator's own refusals come after both checks and carry no reason.
    return error.reason === undefined ? undefined : [...(error.errors ?? [])];
  }

  it('refuses exactly what the two walks refused, in the same order, on 3,000 generated bodies', async () => {
    let seed = 11;
    const next = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const KEYS = [
      'sku',
      'city',
      'lines',
      'shipTo',
      'note',
      'byId',
      'x',
      '__proto__',
      'constructor',
      'prototype',
      'k\u0001',
    ];
    const STRINGS = ['A', 'two\nlines', 'nul\u0000', 'esc\u001b'];
    const json = (depth: number): string => {
      const pick = next(depth > 4 ? 3 : 7);
      if (pick === 0) return JSON.stringify(STRINGS[next(STRINGS.length)]);
      if (pick === 1) return String(next(9));
      if (pick === 2) return 'null';
      if (pick === 3) return `[${Array.from({ length: next(3) }, () => json(depth + 1)).join(',')}]`;
      const members = Array.from(
        { length: next(4) },
        () => `${JSON.stringify(KEYS[next(KEYS.length)])}:${json(depth + 1)}`,
      );
      return `{${members.join(',')}}`;
    };
    const metadatas: ArgumentMetadata[] = [
      { type: 'body', metatype: CartDto },
      { type: 'body', metatype: CartDto, data: 'cart' },
      { type: 'body', metatype: Object },
      { type: 'query', metatype: Object },
    ];
    const outcomes = { clean: 0, poisoned: 0, misshapen: 0 };
    for (let i = 0; i < 3000; i++) {
      const lines = next(2) === 0 ? json(1) : `[${json(2)},${json(2)}]`;
      const extra = Array.from({ length: next(3) }, () => `${JSON.stringify(KEYS[next(KEYS.length)])}:${json(1)}`);
      const byId = `{${Array.from({ length: next(3) }, () => `${JSON.stringify(KEYS[next(KEYS.length)])}:${json(2)}`)}}`;
      const members = [`"lines":${lines}`, `"shipTo":${json(1)}`, `"byId":${byId}`, ...extra];
      const value = JSON.parse(`{${members.join(',')}}`) as unknown;
      const metadata = metadatas[i % metadatas.length] as ArgumentMetadata;
      const expected = before(value, metadata);
      expect(await after(value, metadata)).toEqual(expected);
      if (!expected) outcomes.clean++;
      else if (expected[0]?.message.endsWith('is not an accepted property name') && findPrototypeKeys(value).length)
        outcomes.poisoned++;
      else outcomes.misshapen++;
    }
    // The generator reaches every branch: clean bodies, prototype keys, integrity problems.
    for (const count of Object.values(outcomes)) expect(count).toBeGreaterThan(100);
    expect(({} as Record<string, unknown>).sku).toBeUndefined();
  });

  it('sees prototype keys among the keys of a Map of DTOs', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const value = JSON.parse(`{"lines": [], "byId": {"a": {"sku": "A"}, "${key}": {"sku": "B"}}}`) as unknown;
      const error = (await pipe.transform(value, { type: 'body', metatype: CartDto }).catch((e: unknown) => e)) as
        ValidationProblemException | undefined;
      expect(error?.errors?.map((e) => e.field)).toEqual([`byId.${key}`]);
    }
  });

  it('names a prototype key in a value another pipe already turned into class instances', async () => {
    const line = new LineDto();
    line.sku = 'A';
    Object.defineProperty(line, 'constructor', { value: {}, enumerable: true });
    const cart = Object.assign(new CartDto(), { lines: [line] });
    const metadata: ArgumentMetadata = { type: 'body', metatype: CartDto };
    expect(await after(cart, metadata)).toEqual(before(cart, metadata));
    expect((await after(cart, metadata))?.map((e) => e.field)).toEqual(['lines[0].constructor']);
  });

  it('names a prototype key hidden inside an element it refuses as misshapen', async () => {
    const value = JSON.parse('{"lines": [[{"__proto__": {}}]], "note": "a\\u0000"}') as unknown;
    const error = (await pipe.transform(value, { type: 'body', metatype: CartDto }).catch((e: unknown) => e)) as
      ValidationProblemException | undefined;
    expect(error?.errors?.map((e) => e.field)).toEqual(['lines[0][0].__proto__']);
  });
});
