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

  it('names every header in lowercase, the one form Node keys its header table by without making a new string', () => {
    for (const path of ['/api/things', '/docs/index.html']) {
      const { res, calls } = response();
      service.applyFirst(request(path), res);
      expect(calls.length).toBeGreaterThan(5);
      expect(calls.filter((name) => name !== name.toLowerCase())).toEqual([]);
    }
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

  const HTML_ONLY = [
    'cross-origin-opener-policy',
    'origin-agent-cluster',
    'x-dns-prefetch-control',
    'x-download-options',
    'x-permitted-cross-domain-policies',
    'x-xss-protection',
  ];

  it('keeps HTML-only headers off API responses, and the headers an API response needs on', () => {
    const { res, headers } = response();
    service.applyFirst(request('/api/things'), res);
    for (const name of HTML_ONLY) expect(headers.has(name)).toBe(false);
    expect([...headers.keys()].sort()).toEqual([
      'cache-control',
      'content-security-policy',
      'cross-origin-resource-policy',
      'referrer-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
      'x-request-id',
    ]);
    expect(headers.get('x-frame-options')).toBe('DENY');
  });

  it('sends HTML-only headers on documentation paths, and everywhere with htmlHeaders: all', () => {
    const docs = response();
    service.applyFirst(request('/docs'), docs.res);
    for (const name of HTML_ONLY) expect(docs.headers.has(name)).toBe(true);
    const everywhere = new SecurityHeadersService(resolveApiSecurityOptions({ hardening: { htmlHeaders: 'all' } }));
    const api = response();
    everywhere.applyFirst(request('/api/things'), api.res);
    for (const name of HTML_ONLY) expect(api.headers.has(name)).toBe(true);
    expect(api.headers.get('x-xss-protection')).toBe('0');
  });

  it('refuses an unknown htmlHeaders value at boot', () => {
    expect(() => resolveApiSecurityOptions({ hardening: { htmlHeaders: 'some' as unknown as 'all' } })).toThrow(
      /hardening\.htmlHeaders must be 'documentation' or 'all'/,
    );
  });
});
