import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveApiSecurityOptions } from '../api-security.options';
import { SecurityHeadersService } from './security-headers.service';

/** A response that records what was set on it. */
function response() {
  const headers = new Map<string, string>();
  const calls: string[] = [];
  const res = {
    headersSent: false,
    setHeader(name: string, value: string) {
      calls.push(name);
      headers.set(name.toLowerCase(), String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  return { res: res as unknown as ServerResponse, headers, calls };
}

const request = (url: string) => ({ url, headers: {} }) as IncomingMessage;

describe('SecurityHeadersService', () => {
  const service = new SecurityHeadersService(
    resolveApiSecurityOptions({ hardening: { documentationPaths: ['/docs'] } }),
  );

  it('applyOnce sets every header on a response that has none yet', () => {
    const { res, headers } = response();
    service.applyOnce(request('/api/things'), res);
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(headers.get('x-request-id')).toBeDefined();
  });

  it('applyOnce does nothing on a response whose headers are applied already', () => {
    const { res, calls } = response();
    service.apply(request('/api/things'), res);
    const once = calls.length;
    service.applyOnce(request('/api/things'), res);
    expect(calls).toHaveLength(once);
  });

  it('apply always sets them again (the error filter relies on it)', () => {
    const { res, calls } = response();
    service.apply(request('/api/things'), res);
    const once = calls.length;
    service.apply(request('/api/things'), res);
    expect(calls).toHaveLength(once * 2);
  });

  it('gives documentation paths their own CSP', () => {
    const { res, headers } = response();
    service.applyOnce(request('/docs/index.html'), res);
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
