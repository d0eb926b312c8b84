import type { ValueTransformer } from 'typeorm';

/**
 * Stores a `Date` as epoch milliseconds in a `bigint` column. One representation on both drivers: SQLite has
 * no timestamp type and PostgreSQL `timestamp` round-trips through the server time zone, while an integer
 * is exact everywhere. PostgreSQL returns `bigint` as a string and SQLite as a number; both become a Date.
 * TypeORM also runs `to` on the values inside find operators, so `MoreThan(date)` works.
 */
export const epochMsTransformer: ValueTransformer = {
  to(value: Date | number | null | undefined): number | null | undefined {
    return value instanceof Date ? value.getTime() : value;
  },
  from(value: string | number | null | undefined): Date | null | undefined {
    return value === null || value === undefined ? value : new Date(Number(value));
  },
};

/**
 * Lowercases and trims on the way in. Applied to find conditions too, so `findOneBy({ email })` matches
 * whatever case the caller typed and the unique index sees one spelling per address.
 */
export const lowercaseTransformer: ValueTransformer = {
  to(value: string | null | undefined): string | null | undefined {
    return typeof value === 'string' ? value.trim().toLowerCase() : value;
  },
  from(value: string | null | undefined): string | null | undefined {
    return value;
  },
};
