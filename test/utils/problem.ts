import type request from 'supertest';

const PROBLEM_KEYS = ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'];

/**
 * Asserts an RFC 9457 problem response as clients see it: status, content type, exactly the
 * contract's members (plus `errors` on validation), the stable code, and the request id echoed.
 */
export function expectProblem(res: request.Response, status: number, code: string): Record<string, unknown> {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(
    Object.keys(body)
      .filter((k) => k !== 'errors')
      .sort(),
  ).toEqual(PROBLEM_KEYS);
  expect(body.status).toBe(status);
  expect(body.code).toBe(code);
  expect(body.requestId).toBe(res.headers['x-request-id']);
  if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  return body;
}
