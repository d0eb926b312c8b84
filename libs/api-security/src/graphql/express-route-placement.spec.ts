import { ApiSecurityConfigError } from '../errors/api-security-config.error';
import { ConfigErrorCode } from '../errors/config-codes';
import { placeBeforeDriverRoute, type ExpressRouterApp } from './express-route-placement';

type Handler = () => void;
interface Layer {
  handle: unknown;
  route?: unknown;
  match(path: string): boolean;
}

function fakeApp(stack: Layer[]): ExpressRouterApp<Handler> {
  return {
    use: (path: string, handle: Handler) => stack.push({ handle, match: (p) => p === path }),
    router: { stack },
  };
}

describe('placeBeforeDriverRoute', () => {
  const parser: Layer = { handle: 'json parser', match: () => true };
  const driver: Layer = { handle: 'apollo', route: {}, match: (p) => p === '/graphql' };
  const after: Layer = { handle: 'not found', match: () => true };

  it('moves the guard just before the driver route, after the body parsers', () => {
    const stack = [parser, driver, after];
    const guard: Handler = () => undefined;
    placeBeforeDriverRoute(fakeApp(stack), '/graphql', guard);
    expect(stack.map((layer) => layer.handle)).toEqual(['json parser', guard, 'apollo', 'not found']);
  });

  it('stops the boot when no route serves the path, naming the option', () => {
    const stack = [parser, driver];
    let error: unknown;
    try {
      placeBeforeDriverRoute(fakeApp(stack), '/api/graphql', () => undefined);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiSecurityConfigError);
    expect(error).toMatchObject({ code: ConfigErrorCode.INVALID_OPTION });
    expect((error as Error).message).toContain("no Express route at /api/graphql: set GraphqlSecurityModule's path");
  });
});
