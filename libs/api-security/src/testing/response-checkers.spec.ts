import type { INestApplication } from '@nestjs/common';
import { AS_A, AS_B, startKitApp } from '../../spec-support/kit.fixture';
import request from 'supertest';
import type { HttpResponseLike } from './http-target';
import { assertProblemDetails, checkProblemDetails } from './problem-details.checker';
import { assertSecurityHeaders, checkSecurityHeaders } from './security-headers.checker';

const problem = (
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): HttpResponseLike => ({
  status,
  headers: { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': 'req-1', ...headers },
  text: JSON.stringify(body),
});

const GOOD = {
  type: 'about:blank',
  title: 'Not Found',
  status: 404,
  detail: 'Not found.',
  instance: '/x',
  requestId: 'req-1',
  code: 'ERR_NOT_FOUND',
};

describe('response checkers on a library app', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startKitApp();
  });
  afterAll(() => app.close());

  it('find nothing wrong with the library’s responses', async () => {
    const ok = await request(app.getHttpServer()).get('/notes/note-a').set(AS_A).set('X-Request-Id', 'kit-check-1');
    expect(ok.status).toBe(200);
    expect(checkSecurityHeaders(ok, { authenticated: true, requestId: 'kit-check-1' })).toEqual([]);
    const denied = await request(app.getHttpServer()).get('/notes/note-a').set(AS_B);
    expect(checkSecurityHeaders(denied, { authenticated: true })).toEqual([]);
    expect(assertProblemDetails(denied, { status: 404, code: 'ERR_NOT_FOUND' }).status).toBe(404);
    const anonymous = await request(app.getHttpServer()).get('/notes/note-a');
    expect(checkProblemDetails(anonymous, { status: 401, code: 'ERR_UNAUTHENTICATED' })).toEqual([]);
    const invalid = await request(app.getHttpServer()).patch('/notes/note-a').set(AS_A).send({ text: 1 });
    expect(checkProblemDetails(invalid, { status: 400 })).toEqual([]);
  });
});

describe('checkSecurityHeaders', () => {
  it('lists every missing or wrong header of a bare response', () => {
    const problems = checkSecurityHeaders(
      {
        status: 200,
        headers: {
          'x-powered-by': 'Express',
          'cache-control': 'public, max-age=60',
          'referrer-policy': 'unsafe-url',
          'content-security-policy': "default-src 'self'",
        },
      },
      { authenticated: true },
    );
    expect(problems).toEqual([
      expect.stringMatching(/^X-Content-Type-Options/),
      expect.stringMatching(/^Strict-Transport-Security/),
      expect.stringMatching(/^Content-Security-Policy/),
      expect.stringMatching(/^Referrer-Policy/),
      'X-Request-Id is missing',
      expect.stringMatching(/^X-Powered-By/),
      expect.stringMatching(/^Cache-Control/),
    ]);
    expect(() => assertSecurityHeaders({ status: 200, headers: {} })).toThrow(
      /Security headers:\n {2}- X-Content-Type-Options/,
    );
  });

  it("refuses frame-ancestors other than 'none', and a request id that is not echoed", () => {
    const headers = {
      'x-content-type-options': 'nosniff',
      'strict-transport-security': 'max-age=0',
      'content-security-policy': "default-src 'none'; frame-ancestors *",
      'referrer-policy': 'no-referrer',
      'x-request-id': 'other',
    };
    expect(checkSecurityHeaders({ status: 200, headers }, { requestId: 'mine' })).toEqual([
      expect.stringMatching(/^Strict-Transport-Security/),
      expect.stringMatching(/^Content-Security-Policy/),
      expect.stringMatching(/^X-Request-Id must echo/),
    ]);
  });
});

describe('checkProblemDetails', () => {
  it('accepts a well-formed problem', () => {
    expect(checkProblemDetails(problem(404, GOOD), { status: 404, code: 'ERR_NOT_FOUND' })).toEqual([]);
  });

  it.each<[string, HttpResponseLike, RegExp]>([
    [
      'plain JSON',
      { ...problem(404, GOOD), headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' } },
      /Content-Type/,
    ],
    ['a missing member', problem(404, { ...GOOD, requestId: undefined }), /missing member\(s\): requestId/],
    ['an extra member', problem(404, { ...GOOD, error: 'Not Found' }), /unexpected member\(s\): error/],
    ['a status member that differs', problem(404, { ...GOOD, status: 500 }), /differs from the HTTP status/],
    ['no stable code', problem(404, { ...GOOD, code: 'not_found' }), /stable ERR_/],
    [
      'a requestId that differs from the header',
      problem(404, { ...GOOD, requestId: 'req-2' }),
      /differs from X-Request-Id/,
    ],
    [
      'a stack trace',
      problem(404, { ...GOOD, detail: 'TypeError: x\n    at Foo.bar (/srv/app/x.js:1:2)' }),
      /leaks a stack trace/,
    ],
    [
      'SQL',
      problem(404, { ...GOOD, detail: 'QueryFailedError: duplicate key value violates unique constraint' }),
      /leaks SQL/,
    ],
    ['a file path', problem(404, { ...GOOD, detail: 'ENOENT /home/deploy/app/config.json' }), /leaks a file path/],
    ['a library name', problem(404, { ...GOOD, detail: 'TypeORM could not find entity' }), /leaks a library name/],
    [
      'a 401 without WWW-Authenticate',
      problem(401, { ...GOOD, status: 401, code: 'ERR_UNAUTHENTICATED' }),
      /WWW-Authenticate/,
    ],
    ['a 429 without Retry-After', problem(429, { ...GOOD, status: 429, code: 'ERR_RATE_LIMITED' }), /Retry-After/],
    [
      'malformed errors',
      problem(400, { ...GOOD, status: 400, code: 'ERR_VALIDATION', errors: ['name'] }),
      /errors must be/,
    ],
    [
      'a body that is not JSON',
      { status: 500, headers: { 'content-type': 'application/problem+json' }, text: '<html>' },
      /not JSON/,
    ],
  ])('reports %s', (_name, response, expected) => {
    const problems = checkProblemDetails(response);
    expect(problems.join('\n')).toMatch(expected);
    expect(() => assertProblemDetails(response)).toThrow(expected);
  });

  it('reports a status or code other than expected', () => {
    expect(checkProblemDetails(problem(404, GOOD), { status: 403, code: 'ERR_FORBIDDEN' })).toEqual([
      'status is 404, expected 403',
      'code is ERR_NOT_FOUND, expected ERR_FORBIDDEN',
    ]);
  });
});
