import { Logger, type ExceptionFilter, type INestApplication, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, ExceptionFilterConflictError } from '@api-security/nestjs';
import {
  AppProblemDetailsFilter,
  CatchAllFilter,
  FiltersController,
  HttpErrorsFilter,
  OrderNotFoundFilter,
} from './fixtures/exception-filters.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';

interface Setup {
  providers?: Provider[];
  global?: (app: INestApplication) => ExceptionFilter;
}

function boot(kind: AdapterKind, mode: 'strict' | 'warn', setup: Setup = {}): Promise<INestApplication> {
  return createApp(
    kind,
    {
      imports: [ApiSecurityModule.forRoot({ audit: { mode } })],
      controllers: [FiltersController],
      providers: setup.providers ?? [],
    },
    (app) => {
      if (setup.global) app.useGlobalFilters(setup.global(app));
    },
  );
}

describe.each(ADAPTERS)('app-wide exception filters that would replace problem details (%s)', (kind) => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['useGlobalFilters(@Catch())', { global: () => new CatchAllFilter() }, 'CatchAllFilter'],
    [
      'APP_FILTER @Catch(HttpException)',
      { providers: [{ provide: APP_FILTER, useClass: HttpErrorsFilter }] },
      'HttpErrorsFilter',
    ],
  ] as [string, Setup, string][])('strict mode refuses to start with %s, naming the filter', async (_, setup, name) => {
    const error = await boot(kind, 'strict', setup).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExceptionFilterConflictError);
    expect((error as ExceptionFilterConflictError).code).toBe('ERR_EXCEPTION_FILTER_CONFLICT');
    expect((error as ExceptionFilterConflictError).filters).toEqual([name]);
    expect((error as Error).message).toContain(name);
  });

  it('warn mode starts and says once which filter answers instead of problem details', async () => {
    const warnings: string[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    const app = await boot(kind, 'warn', { global: () => new CatchAllFilter() });
    try {
      const found = warnings.filter((line) => line.includes('ERR_EXCEPTION_FILTER_CONFLICT'));
      expect(found).toHaveLength(1);
      expect(found[0]).toContain('CatchAllFilter');
    } finally {
      await app.close();
    }
  });

  it('accepts a filter for the application’s own error types', async () => {
    const app = await boot(kind, 'strict', { global: () => new OrderNotFoundFilter() });
    await app.close();
  });

  it('accepts a subclass of ProblemDetailsFilter, whose mapping answers with problem details', async () => {
    const app = await boot(kind, 'strict', {
      providers: [AppProblemDetailsFilter],
      global: (nest) => nest.get(AppProblemDetailsFilter),
    });
    try {
      const res = await request(app.getHttpServer()).get('/api/v1/filters/order');
      const body = expectProblem(res, 404, ErrorCode.NOT_FOUND);
      expect(body.detail).toBe('No such order.');
      expect(res.text).not.toContain('orders_v2');
    } finally {
      await app.close();
    }
  });
});
