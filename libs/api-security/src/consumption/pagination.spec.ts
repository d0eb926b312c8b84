import { ErrorCode } from '../errors/codes';
import { ValidationProblemException } from '../errors/security.exception';
import { pagination } from './pagination';

function failure(limit: unknown, offset: unknown, max?: number): ValidationProblemException {
  try {
    pagination(limit, offset, max === undefined ? {} : { max });
  } catch (error) {
    if (error instanceof ValidationProblemException) return error;
    throw error;
  }
  throw new Error(`pagination(${JSON.stringify(limit)}, ${JSON.stringify(offset)}) was accepted`);
}

describe('pagination', () => {
  it('turns query strings and numbers into take/skip', () => {
    expect(pagination('10', '30')).toEqual({ take: 10, skip: 30 });
    expect(pagination(100, 0, { max: 100 })).toEqual({ take: 100, skip: 0 });
    expect(pagination('1', '0')).toEqual({ take: 1, skip: 0 });
  });

  it('defaults a missing or empty value', () => {
    expect(pagination(undefined, undefined)).toEqual({ take: 20, skip: 0 });
    expect(pagination('', '')).toEqual({ take: 20, skip: 0 });
    expect(pagination(undefined, undefined, { max: 5 })).toEqual({ take: 5, skip: 0 });
    expect(pagination(undefined, undefined, { defaultLimit: 50 })).toEqual({ take: 50, skip: 0 });
  });

  it('refuses a limit over the cap with a 400 naming limit', () => {
    const error = failure('101', '0', 100);
    expect(error.getStatus()).toBe(400);
    expect(error.code).toBe(ErrorCode.VALIDATION);
    expect(error.errors).toEqual([{ field: 'limit', message: 'limit must be at most 100.' }]);
    expect(failure(1_000_000, 0).errors?.[0]?.field).toBe('limit');
    expect(failure('11', 0, 10).errors?.[0]?.message).toBe('limit must be at most 10.');
  });

  it.each([['0'], ['-1'], ['1.5'], ['1e2'], [' 5'], ['0x10'], ['+5'], [['5', '6']], [{ a: 1 }], [Number.NaN], [2.5]])(
    'refuses limit %p',
    (limit) => {
      expect(failure(limit, '0').errors).toEqual([
        { field: 'limit', message: 'limit must be a whole number from 1 to 100.' },
      ]);
    },
  );

  it('refuses a bad offset, and reports both fields at once', () => {
    expect(failure('10', '-1').errors?.map((e) => e.field)).toEqual(['offset']);
    expect(failure('10', ['1', '2']).errors?.map((e) => e.field)).toEqual(['offset']);
    expect(failure('500', 'x').errors?.map((e) => e.field)).toEqual(['limit', 'offset']);
  });

  it('refuses a nonsensical cap at the call site', () => {
    expect(() => pagination(1, 0, { max: 0 })).toThrow(TypeError);
  });
});
