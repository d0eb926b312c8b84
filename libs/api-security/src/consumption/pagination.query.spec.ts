import type { ArgumentMetadata } from '@nestjs/common';
import { SecurityValidationPipe } from '../properties/security-validation.pipe';
import { PaginationQuery } from './pagination.query';

class Page extends PaginationQuery({ max: 50, defaultLimit: 10 }) {}

const pipe = new SecurityValidationPipe();
const query: ArgumentMetadata = { type: 'query', metatype: Page, data: undefined };

async function refusalOf(value: Record<string, unknown>): Promise<unknown> {
  try {
    await pipe.transform(value, query);
  } catch (error) {
    return error;
  }
  throw new Error('expected a 400');
}

describe('PaginationQuery', () => {
  it('fills the defaults and converts digits', async () => {
    await expect(pipe.transform({}, query)).resolves.toMatchObject({ limit: 10, offset: 0 });
    await expect(pipe.transform({ limit: '', offset: '' }, query)).resolves.toMatchObject({ limit: 10, offset: 0 });
    const page = (await pipe.transform({ limit: '50', offset: '7' }, query)) as Page;
    expect(page).toBeInstanceOf(Page);
    expect(page).toMatchObject({ limit: 50, offset: 7 });
  });

  it.each([
    [{ limit: '51' }, [{ field: 'limit', message: 'limit must be at most 50.' }]],
    [{ limit: '0' }, [{ field: 'limit', message: 'limit must be a whole number from 1 to 50.' }]],
    [{ limit: '1e1' }, [{ field: 'limit', message: 'limit must be a whole number from 1 to 50.' }]],
    [{ limit: ['1', '2'] }, [{ field: 'limit', message: 'limit must be a whole number from 1 to 50.' }]],
    [{ offset: '-1' }, [{ field: 'offset', message: 'offset must be a whole number of 0 or more.' }]],
    [
      { limit: ' 5', offset: '0x10' },
      [
        { field: 'limit', message: 'limit must be a whole number from 1 to 50.' },
        { field: 'offset', message: 'offset must be a whole number of 0 or more.' },
      ],
    ],
  ])('refuses %p with one sentence per field, as pagination() does', async (value, errors) => {
    expect(await refusalOf(value)).toMatchObject({ code: 'ERR_VALIDATION', errors });
  });

  it('refuses any other query parameter, as every DTO does', async () => {
    expect(await refusalOf({ limit: '5', take: '1000' })).toMatchObject({
      code: 'ERR_VALIDATION',
      errors: [expect.objectContaining({ field: 'take' })],
    });
  });

  it('refuses a cap that is not a positive whole number when the class is declared', () => {
    expect(() => PaginationQuery({ max: 0 })).toThrow(TypeError);
  });
});
