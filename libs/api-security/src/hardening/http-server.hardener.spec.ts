import type { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedApiSecurityOptions } from '../api-security.options';
import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { ConfigErrorCode } from '../errors/config-codes';
import type { HardeningMiddleware } from './hardening.middleware';
import { HttpServerHardener } from './http-server.hardener';
import type { SecurityHeadersService } from './security-headers.service';

interface Layer {
  handle: unknown;
  name?: string;
  route?: unknown;
  match(path: string): boolean;
}

/** An Express-typed adapter over a router stack that already holds Nest's parsers and a route. */
function expressAdapter(stack: Layer[] | undefined) {
  const app = { disable: jest.fn(), router: stack === undefined ? undefined : { stack } };
  const adapter = {
    getHttpServer: () => ({ prependListener: jest.fn(), removeListener: jest.fn() }),
    getType: () => 'express',
    getInstance: () => app,
    use: (handle: unknown) => stack?.push({ handle, match: () => true }),
  };
  return new HttpServerHardener(
    { hardening: { shapeExpressRequests: true } } as ResolvedApiSecurityOptions,
    { httpAdapter: adapter } as unknown as HttpAdapterHost,
    {} as SecurityHeadersService,
    {} as HardeningMiddleware,
  );
}

describe('HttpServerHardener on Express', () => {
  it('puts the hardening checks after what the application added before init, ahead of the body parsers', () => {
    const cors = { handle: function corsMiddleware() {}, name: 'corsMiddleware', match: () => true };
    const parser = { handle: function jsonParser() {}, name: 'jsonParser', match: () => true };
    const route = { handle: function route() {}, name: 'handle', route: {}, match: () => true };
    const stack: Layer[] = [cors, parser, route];
    expressAdapter(stack).onModuleInit();
    expect(stack).toHaveLength(5);
    expect(stack[0]).toBe(cors);
    expect(stack.slice(2, 4)).toEqual([parser, route]);
    expect(typeof stack[1].handle).toBe('function');
    expect(stack[1].handle).not.toBe(stack[4].handle);
  });

  it('with the body parsers off, puts them ahead of the first route', () => {
    const route = { handle: function route() {}, name: 'handle', route: {}, match: () => true };
    const stack: Layer[] = [route];
    expressAdapter(stack).onModuleInit();
    expect(stack.indexOf(route)).toBe(1);
  });

  it('refuses to boot with ERR_CONFIG_UNSUPPORTED_ADAPTER when the application has no router stack', () => {
    let thrown: unknown;
    try {
      expressAdapter(undefined).onModuleInit();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ApiSecurityConfigError);
    expect((thrown as ApiSecurityConfigError).code).toBe(ConfigErrorCode.UNSUPPORTED_ADAPTER);
    expect((thrown as Error).message).toMatch(/no router stack to put the hardening checks in before the body parsers/);
  });
});
