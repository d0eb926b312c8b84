import { BadRequestException, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { ExceptionFilterConflictError } from './exception-filter-conflict.error';
import { GlobalFilterCheck } from './global-filter.check';
import { ProblemDetailsFilter } from './problem-details.filter';

class DomainError extends Error {}

@Catch()
class CatchAll implements ExceptionFilter {
  catch(): void {}
}
@Catch(Error)
class CatchErrors implements ExceptionFilter {
  catch(): void {}
}
@Catch(HttpException)
class CatchHttp implements ExceptionFilter {
  catch(): void {}
}
@Catch(DomainError, BadRequestException)
class Narrow implements ExceptionFilter {
  catch(): void {}
}
@Catch()
class Extended extends ProblemDetailsFilter {}
/** Without @Catch, Nest hands it every exception: as much a catch-all as @Catch(). */
class Undecorated implements ExceptionFilter {
  catch(): void {}
}

function check(mode: 'strict' | 'warn', ...filters: ExceptionFilter[]): GlobalFilterCheck {
  const config = new ApplicationConfig();
  config.useGlobalFilters(...filters);
  return new GlobalFilterCheck(config, { audit: { mode } });
}

describe('GlobalFilterCheck', () => {
  afterEach(() => jest.restoreAllMocks());
  const library = Object.create(ProblemDetailsFilter.prototype) as ProblemDetailsFilter;
  const extended = Object.create(Extended.prototype) as Extended;

  it('names every filter that catches what the library answers, once each', () => {
    expect(
      check(
        'strict',
        new CatchAll(),
        new CatchErrors(),
        new CatchHttp(),
        new Undecorated(),
        new CatchAll(),
      ).conflicts(),
    ).toEqual(['CatchAll', 'CatchErrors', 'CatchHttp', 'Undecorated']);
  });

  it('accepts the library filter, its subclasses and filters of other error types', () => {
    expect(check('strict', library, extended, new Narrow()).conflicts()).toEqual([]);
  });

  it('reads APP_FILTER providers registered as request-scoped wrappers too', () => {
    const config = new ApplicationConfig();
    config.addGlobalRequestFilter(new InstanceWrapper({ metatype: CatchHttp, name: 'CatchHttp' }));
    expect(new GlobalFilterCheck(config, { audit: { mode: 'strict' } }).conflicts()).toEqual(['CatchHttp']);
  });

  it('refuses to start in strict mode with a coded error', () => {
    expect(() => check('strict', new CatchAll()).onApplicationBootstrap()).toThrow(ExceptionFilterConflictError);
  });

  it('logs in warn mode', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    check('warn', new CatchAll()).onApplicationBootstrap();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/^ERR_EXCEPTION_FILTER_CONFLICT CatchAll /);
  });
});
