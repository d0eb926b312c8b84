import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { CorsPolicy } from './cors.policy';

function exchange(headers: Record<string, string>, method = 'GET'): { req: IncomingMessage; res: ServerResponse } {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.headers = headers;
  return { req, res: new ServerResponse(req) };
}

describe('CorsPolicy', () => {
  const policy = new CorsPolicy(
    { origins: ['https://app.example.com'], credentials: false, maxAgeSeconds: 60 },
    'x-api-key',
  );

  it('reflects only an allowlisted origin, case-insensitively', () => {
    const ok = exchange({ origin: 'https://APP.example.com' });
    expect(policy.handle(ok.req, ok.res)).toBe(false);
    expect(ok.res.getHeader('access-control-allow-origin')).toBe('https://APP.example.com');
    expect(ok.res.getHeader('access-control-allow-credentials')).toBeUndefined();

    const evil = exchange({ origin: 'https://app.example.com.evil.test' });
    policy.handle(evil.req, evil.res);
    expect(evil.res.getHeader('access-control-allow-origin')).toBeUndefined();
    expect(evil.res.getHeader('vary')).toBe('Origin');
  });

  it('answers a preflight itself with the allowed methods, headers and max-age', () => {
    const { req, res } = exchange(
      { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' },
      'OPTIONS',
    );
    expect(policy.handle(req, res)).toBe(true);
    expect(res.statusCode).toBe(204);
    expect(res.getHeader('access-control-max-age')).toBe('60');
    expect(res.getHeader('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, x-api-key, DPoP, X-Request-Id',
    );
  });

  it('allows the configured API-key header in a preflight, not a fixed one', () => {
    const custom = new CorsPolicy(
      { origins: ['https://app.example.com'], credentials: false, maxAgeSeconds: 60 },
      'x-service-token',
    );
    const { req, res } = exchange(
      { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
      'OPTIONS',
    );
    expect(custom.handle(req, res)).toBe(true);
    const allowed = String(res.getHeader('access-control-allow-headers')).toLowerCase().split(', ');
    expect(allowed).toContain('x-service-token');
    expect(allowed).not.toContain('x-api-key');
  });
});
