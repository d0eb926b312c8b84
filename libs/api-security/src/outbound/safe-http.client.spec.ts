import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import type { DnsResolver } from './dns-resolver';
import { OutboundFailedError, OutboundRefusedError, type OutboundRefusal } from './outbound.errors';
import type { OutboundOptions } from './outbound.options';
import { SafeHttpClient } from './safe-http.client';
import { ScriptedResolver, startLocalServer, type LocalServer } from '../../../../test/support/local-server';

/**
 * Every server here listens on loopback. `127.0.0.2` plays the public internet: it is reachable only
 * because the tests allow `127.0.0.2/32` explicitly. `127.0.0.1` and `::1` are canaries that must
 * never see a connection. Names are answered by a scripted resolver: no real DNS is ever asked.
 */
describe('SafeHttpClient', () => {
  let origin: LocalServer;
  let other: LocalServer;
  let canary: LocalServer;
  let canary6: LocalServer;
  /** On 127.0.0.1 with the same port as `origin`, for the rebinding test. */
  let twin: LocalServer;
  let endlessClosed: Promise<void>;
  let markEndlessClosed: () => void;
  let seenHeaders: IncomingMessage['headers'] = {};

  const canaryHandler = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('canary reached');
  };

  function originHandler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('hello from origin');
        return;
      case '/latin1':
        res.writeHead(200, { 'content-type': 'text/plain; charset=ISO-8859-1' });
        res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
        return;
      case '/missing':
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<h1>not here</h1>');
        return;
      case '/redirect':
        res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/' });
        res.end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      case '/slow':
        return; // never answers
      case '/endless': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        let written = 0;
        const pump = (): void => {
          while (!res.destroyed && written < 64 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        };
        res.on('drain', pump);
        res.on('close', () => markEndlessClosed());
        pump();
        return;
      }
      case '/declared-huge':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(50 * 1024 * 1024) });
        res.write('a');
        return;
      case '/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.from([1, 2, 3]));
        return;
      case '/untyped':
        res.end('no content type');
        return;
      case '/gzip':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        res.end(Buffer.from([0x1f, 0x8b]));
        return;
      case '/headers':
        seenHeaders = req.headers;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no');
    }
  }

  beforeAll(async () => {
    origin = await startLocalServer(originHandler, '127.0.0.2');
    other = await startLocalServer(originHandler, '127.0.0.2');
    canary = await startLocalServer(canaryHandler, '127.0.0.1');
    canary6 = await startLocalServer(canaryHandler, '::1');
    // Same port as the origin, on the loopback address a rebinding attack points to.
    twin = await startLocalServer(canaryHandler, '127.0.0.1', origin.port);
  });

  afterAll(async () => {
    await Promise.all([origin, other, canary, canary6, twin].map((s) => s.close()));
  });

  let events: SecurityEvent[];
  let resolver: ScriptedResolver;

  beforeEach(() => {
    events = [];
    seenHeaders = {};
    endlessClosed = new Promise((resolve) => (markEndlessClosed = resolve));
    resolver = new ScriptedResolver({
      'public.test': [['127.0.0.2']],
      'a.example.test': [['127.0.0.2']],
      localhost: [['127.0.0.1', '::1']],
      'mixed.test': [['127.0.0.2', '10.0.0.1']],
      'rebind.test': [['127.0.0.2'], ['127.0.0.1']],
      'v6only.test': [['::1']],
    });
  });

  function client(overrides: OutboundOptions = {}, dnsResolver: DnsResolver = resolver): SafeHttpClient {
    const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
    return new SafeHttpClient(
      {
        allowedHosts: [
          '127.0.0.1',
          '127.0.0.2',
          '[::1]',
          '::ffff:7f00:1',
          'localhost',
          'public.test',
          '*.example.test',
          'mixed.test',
          'rebind.test',
          'v6only.test',
          'slow-dns.test',
          'nxdomain.test',
          '10.0.0.1',
          '169.254.169.254',
        ],
        allowedPorts: [80, 443, origin.port, other.port, canary.port, canary6.port],
        allowCidrs: ['127.0.0.2/32'],
        timeoutMs: 2000,
        connectTimeoutMs: 1000,
        ...overrides,
        resolver: dnsResolver,
      },
      bus,
    );
  }

  async function refusal(promise: Promise<unknown>): Promise<OutboundRefusedError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundRefusedError);
    return error as OutboundRefusedError;
  }

  function expectCanariesUntouched(): void {
    expect(canary.connections).toBe(0);
    expect(canary6.connections).toBe(0);
    expect(twin.connections).toBe(0);
  }

  it('fetches an allowed URL and returns status, media type, charset and text', async () => {
    const res = await client().get(`${origin.origin}/text`);
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('text/plain');
    expect(res.charset).toBe('utf-8');
    expect(res.text()).toBe('hello from origin');
    expect(res.redirects).toBe(0);
    const latin = await client().get(`${origin.origin}/latin1`);
    expect(latin.text()).toBe('café');
    const missing = await client().get(`${origin.origin}/missing`);
    expect(missing.status).toBe(404);
    expect(events).toEqual([]);
  });

  it('resolves names through the injected resolver at connect time', async () => {
    const res = await client().get(`http://public.test:${origin.port}/text`);
    expect(res.text()).toBe('hello from origin');
    expect(resolver.asked).toEqual(['public.test']);
  });

  describe('refuses loopback in every notation before any connection', () => {
    it.each([
      ['127.0.0.1', () => `http://127.0.0.1:${canary.port}/`],
      ['127.1', () => `http://127.1:${canary.port}/`],
      ['2130706433', () => `http://2130706433:${canary.port}/`],
      ['0x7f000001', () => `http://0x7f000001:${canary.port}/`],
      ['0177.0.0.1', () => `http://0177.0.0.1:${canary.port}/`],
      ['0x7f.0.0.1', () => `http://0x7f.0.0.1:${canary.port}/`],
      ['127.000.000.001', () => `http://127.000.000.001:${canary.port}/`],
      ['[::1]', () => `http://[::1]:${canary6.port}/`],
      ['[0:0:0:0:0:0:0:1]', () => `http://[0:0:0:0:0:0:0:1]:${canary6.port}/`],
      ['[::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${canary.port}/`],
      ['[::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${canary.port}/`],
      ['localhost (resolved)', () => `http://localhost:${canary.port}/`],
      ['a name resolving to ::1', () => `http://v6only.test:${canary6.port}/`],
      ['a name with one private address among public ones', () => `http://mixed.test:${origin.port}/text`],
    ])('%s', async (_name, url) => {
      const error = await refusal(client().get(url()));
      expect(error.refusal).toBe('address');
      expect(error.code).toBe(ErrorCode.OUTBOUND_REFUSED);
      expect(error.getStatus()).toBe(400);
      expectCanariesUntouched();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'outbound.refused', reason: 'address' });
    });
  });

  describe('refuses every special-purpose range a name may resolve to', () => {
    it.each([
      '10.0.0.1',
      '10.255.255.254',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.0.1',
      '169.254.169.254',
      '169.254.0.1',
      '100.64.0.1',
      '100.127.255.254',
      '0.0.0.0',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
      '198.18.0.1',
      '198.19.255.254',
      '192.0.0.1',
      '192.0.2.1',
      '198.51.100.1',
      '203.0.113.1',
      '192.88.99.1',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      'fc00::1',
      'fd00:ec2::254',
      'fe80::1',
      'fec0::1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b:1::1',
      '2002:a9fe:a9fe::1',
      '2001::1',
      '2001:db8::1',
      'ff02::1',
      '100::1',
    ])('%s', async (address) => {
      const scripted = new ScriptedResolver({ 'target.test': [[address]] });
      const before = origin.connections;
      const error = await refusal(
        client({ allowedHosts: ['target.test'] }, scripted).get(`http://target.test:${origin.port}/text`),
      );
      expect(error.refusal).toBe('address');
      expect(scripted.asked).toEqual(['target.test']);
      expect(origin.connections).toBe(before);
      expectCanariesUntouched();
    });

    it.each([
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://0xa9fea9fe/',
      'http://2852039166/',
    ])('refuses the IP literal %s without connecting', async (url) => {
      const error = await refusal(client().get(url));
      expect(error.refusal).toBe('address');
      expect(events[0]?.details).toMatchObject({ host: expect.stringMatching(/^(10\.0\.0\.1|169\.254\.169\.254)$/) });
    });
  });

  it('checks at connect time, so a name that rebinds to loopback after a good answer is refused (no TOCTOU)', async () => {
    // First answer: the "public" origin. Second answer: loopback, where the twin listens on the same port.
    const first = await client().get(`http://rebind.test:${origin.port}/text`);
    expect(first.text()).toBe('hello from origin');
    expect(resolver.asked).toEqual(['rebind.test']); // one lookup per connection, the one that was checked
    const error = await refusal(client().get(`http://rebind.test:${origin.port}/text`));
    expect(error.refusal).toBe('address');
    expect(resolver.asked).toEqual(['rebind.test', 'rebind.test']);
    expectCanariesUntouched();
  });

  it('never reuses a connection across calls: each call resolves and checks again', async () => {
    const http = client();
    await http.get(`http://rebind.test:${origin.port}/text`);
    await refusal(http.get(`http://rebind.test:${origin.port}/text`));
    expectCanariesUntouched();
  });

  describe('redirects', () => {
    const via = (to: string, status = 302): string =>
      `${origin.origin}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

    it('follows an allowed redirect', async () => {
      const res = await client().get(via(`${other.origin}/text`));
      expect(res.status).toBe(200);
      expect(res.redirects).toBe(1);
      expect(res.url).toBe(`${other.origin}/text`);
    });

    it.each([301, 302, 303, 307, 308])('re-checks a %d redirect to loopback and refuses it', async (status) => {
      const error = await refusal(client().get(via(`http://127.0.0.1:${canary.port}/`, status)));
      expect(error.refusal).toBe('address');
      expectCanariesUntouched();
      expect(events[0]).toMatchObject({ reason: 'address', details: { hop: 1, host: '127.0.0.1' } });
    });

    it.each([
      ['a name resolving to loopback', () => `http://localhost:${canary.port}/`, 'address'],
      ['[::1]', () => `http://[::1]:${canary6.port}/`, 'address'],
      ['decimal loopback', () => `http://2130706433:${canary.port}/`, 'address'],
      ['the metadata address', () => 'http://169.254.169.254/latest/meta-data/', 'address'],
      ['a host not on the list', () => `http://evil.test:${origin.port}/`, 'host'],
      ['file:', () => 'file:///etc/passwd', 'scheme'],
      ['gopher:', () => `gopher://127.0.0.2:${origin.port}/_x`, 'scheme'],
      ['credentials', () => `http://user:secret@127.0.0.2:${origin.port}/text`, 'credentials'],
      ['a port not on the list', () => 'http://127.0.0.2:6379/', 'port'],
    ])('refuses a redirect to %s', async (_name, to, reason) => {
      const error = await refusal(client().get(via(to())));
      expect(error.refusal).toBe(reason);
      expectCanariesUntouched();
      expect(JSON.stringify(events)).not.toContain('secret');
    });

    it('stops after maxRedirects', async () => {
      const error = await refusal(client({ maxRedirects: 3 }).get(`${origin.origin}/loop`));
      expect(error.refusal).toBe('too_many_redirects');
      const none = await refusal(client({ maxRedirects: 0 }).get(via(`${other.origin}/text`)));
      expect(none.refusal).toBe('too_many_redirects');
    });

    it('drops credentials on a cross-origin redirect', async () => {
      await client().get(via(`${other.origin}/headers`), { headers: { Authorization: 'Bearer t', 'X-Trace': '1' } });
      expect(seenHeaders.authorization).toBeUndefined();
      expect(seenHeaders['x-trace']).toBe('1');
      expect(seenHeaders['accept-encoding']).toBe('identity');
      await client().get(via('/headers'), { headers: { Authorization: 'Bearer t' } });
      expect(seenHeaders.authorization).toBe('Bearer t');
    });
  });

  describe('URL rules', () => {
    it.each<[string, () => string, OutboundRefusal]>([
      ['file:', () => 'file:///etc/passwd', 'scheme'],
      ['ftp:', () => `ftp://127.0.0.2:${origin.port}/`, 'scheme'],
      ['gopher:', () => `gopher://127.0.0.2:${origin.port}/`, 'scheme'],
      ['data:', () => 'data:text/plain,hello', 'scheme'],
      ['javascript:', () => 'javascript:alert(1)', 'scheme'],
      ['dict:', () => `dict://127.0.0.2:${origin.port}/`, 'scheme'],
      ['credentials', () => `http://user:secret@127.0.0.2:${origin.port}/text`, 'credentials'],
      ['user only', () => `http://user@127.0.0.2:${origin.port}/text`, 'credentials'],
      ['a host not on the list', () => `http://evil.test:${origin.port}/`, 'host'],
      ['the bare parent of a wildcard', () => `http://example.test:${origin.port}/`, 'host'],
      ['a look-alike of a wildcard', () => `http://badexample.test:${origin.port}/`, 'host'],
      ['a port not on the list', () => 'http://127.0.0.2:6379/', 'port'],
      ['an explicit port 0', () => 'http://127.0.0.2:0/', 'port'],
      ['not a URL', () => 'not a url', 'invalid_url'],
    ])('refuses %s', async (_name, url, reason) => {
      const before = origin.connections + other.connections;
      const error = await refusal(client().get(url()));
      expect(error.refusal).toBe(reason);
      expect(resolver.asked).toEqual([]);
      expect(origin.connections + other.connections).toBe(before);
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events)).not.toContain('secret');
    });

    it('allows a *. suffix', async () => {
      const res = await client().get(`http://a.example.test:${origin.port}/text`);
      expect(res.status).toBe(200);
    });

    it('refuses http when only https is allowed', async () => {
      const error = await refusal(client({ allowedSchemes: ['https'] }).get(`${origin.origin}/text`));
      expect(error.refusal).toBe('scheme');
    });

    it('refuses every host with the default empty allowlist', async () => {
      const error = await refusal(client({ allowedHosts: [] }).get(`${origin.origin}/text`));
      expect(error.refusal).toBe('host');
    });
  });

  describe('limits', () => {
    it('times out on a server that never answers', async () => {
      const started = Date.now();
      const error = await refusal(client({ timeoutMs: 300 }).get(`${origin.origin}/slow`));
      expect(error.refusal).toBe('timeout');
      expect(error.code).toBe(ErrorCode.OUTBOUND_TIMEOUT);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('times out on a resolver that never answers (connect timeout)', async () => {
      const hanging: DnsResolver = { resolve: () => new Promise(() => undefined) };
      const started = Date.now();
      const error = await refusal(
        client({ allowedHosts: ['slow-dns.test'], connectTimeoutMs: 200 }, hanging).get(
          `http://slow-dns.test:${origin.port}/`,
        ),
      );
      expect(error.refusal).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('aborts an endless body past the byte cap', async () => {
      const error = await refusal(client({ maxResponseBytes: 64 * 1024 }).get(`${origin.origin}/endless`));
      expect(error.refusal).toBe('too_large');
      expect(error.code).toBe(ErrorCode.OUTBOUND_TOO_LARGE);
      await endlessClosed; // the server saw its stream cut
    });

    it('refuses a declared length over the cap without reading it', async () => {
      const error = await refusal(client({ maxResponseBytes: 1024 }).get(`${origin.origin}/declared-huge`));
      expect(error.refusal).toBe('too_large');
    });

    it.each(['/binary', '/untyped', '/gzip'])('refuses the content of %s', async (path) => {
      const error = await refusal(client().get(`${origin.origin}${path}`));
      expect(error.refusal).toBe('content_type');
      expect(error.code).toBe(ErrorCode.OUTBOUND_CONTENT_TYPE);
    });

    it('accepts a content type once it is allowed', async () => {
      const res = await client({ allowedContentTypes: ['application/octet-stream'] }).get(`${origin.origin}/binary`);
      expect([...res.body]).toEqual([1, 2, 3]);
    });
  });

  it('reports a name that does not resolve as a remote failure (502), not a refusal', async () => {
    const error = await client()
      .get(`http://nxdomain.test:${origin.port}/`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundFailedError);
    expect((error as OutboundFailedError).getStatus()).toBe(502);
    expect(events).toEqual([]);
  });

  it('puts the host and reason in the event, never the URL, its path or its credentials', async () => {
    await refusal(
      client().get(`http://127.0.0.1:${canary.port}/private/path?token=abc`, {
        context: { requestId: 'r1', route: 'POST /api/v1/previews', principalId: 'u1' },
      }),
    );
    expect(events).toEqual([
      {
        type: 'outbound.refused',
        reason: 'address',
        requestId: 'r1',
        route: 'POST /api/v1/previews',
        principalId: 'u1',
        details: { host: '127.0.0.1', hop: 0, info: 'loopback' },
      },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/token|private\/path/);
  });

  it('validates its options like the module does', () => {
    expect(() => new SafeHttpClient({ allowCidrs: ['10.0.0.0/99'], timeoutMs: -1 })).toThrow(
      /outbound\.allowCidrs[\s\S]*outbound\.timeoutMs/,
    );
    const narrowed = client().withOptions({ allowedHosts: ['public.test'] });
    expect(narrowed.options.allowedHosts).toEqual(['public.test']);
    expect(narrowed.options.allowCidrs).toEqual(['127.0.0.2/32']);
  });
});
