import type request from 'supertest';
import { checkProblemDetails } from '@api-security/nestjs/testing';

/**
 * Asserts an RFC 9457 problem response as clients see it, through the test kit's checker: status,
 * content type, exactly the contract's members (plus `errors` on validation), the stable code,
 * the request id echoed, nothing leaked, and the 401/429 headers.
 */
export function expectProblem(res: request.Response, status: number, code: string): Record<string, unknown> {
  expect(checkProblemDetails(res, { status, code })).toEqual([]);
  return JSON.parse(res.text) as Record<string, unknown>;
}
