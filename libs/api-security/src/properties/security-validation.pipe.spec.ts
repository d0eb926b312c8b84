import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import { ValidationProblemException } from '../errors/security.exception';
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
