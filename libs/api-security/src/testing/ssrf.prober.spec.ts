import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoopbackCanary } from './loopback.canary';
import { ssrfPayloads } from './ssrf.payloads';
import { probeSsrf } from './ssrf.prober';

/** A URL-fetching endpoint: `naive` fetches whatever it is given, otherwise everything is refused. */
async function fetcher(naive: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const { url } = JSON.parse(raw) as { url: string };
      if (!naive) {
        res.writeHead(400).end();
        return;
      }
      fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        () => res.writeHead(200).end(),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('ssrfPayloads', () => {
  it('covers every notation family, with unique names, parseable or deliberately odd URLs', () => {
    const payloads = ssrfPayloads({ port: 4321, allowedHost: 'ok.example' });
    const names = payloads.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const needle of [
      'decimal',
      'octal',
      'hex',
      'short',
      'IPv4-mapped',
      'NAT64',
      '6to4',
      'Teredo',
      'unique local',
      'localhost',
      'credentials',
      'metadata',
      'file:',
      'gopher:',
      'ftp:',
    ]) {
      expect(names.some((name) => name.includes(needle))).toBe(true);
    }
    expect(payloads.find((p) => p.name === 'loopback in decimal (http)')?.url).toBe('http://2130706433:4321/');
    expect(payloads.find((p) => p.name === 'allowed host as userinfo (http)')?.url).toBe(
      'http://ok.example@127.0.0.1:4321/',
    );
  });
});

describe('probeSsrf with a LoopbackCanary', () => {
  let canary: LoopbackCanary;
  beforeEach(async () => {
    canary = await new LoopbackCanary().start();
  });
  afterEach(() => canary.stop());

  it('catches a naive fetcher: the loopback notations reach the canary', async () => {
    const app = await fetcher(true);
    try {
      const payloads = ssrfPayloads({ port: canary.port }).filter(
        (p) => /^loopback(,| in| \()/.test(p.name) && p.url.startsWith('http:'),
      );
      const report = await probeSsrf(app.url, { path: '/fetch', canary, payloads });
      expect(report.sent).toBe(payloads.length);
      const reached = report.findings.filter((f) => f.canaryConnections > 0).map((f) => f.payload.name);
      expect(reached).toEqual(
        expect.arrayContaining([
          'loopback (http)',
          'loopback in decimal (http)',
          'loopback in hex (http)',
          'loopback, short form (http)',
        ]),
      );
      expect(canary.requests.length).toBeGreaterThanOrEqual(reached.length);
      expect(canary.requests).toContain('/');
    } finally {
      await app.close();
    }
  });

  it('passes a fetcher that refuses every payload, and the canary saw nothing', async () => {
    const app = await fetcher(false);
    try {
      const report = await probeSsrf(app.url, { path: '/fetch', canary });
      expect(report.sent).toBeGreaterThan(100);
      expect(report.findings).toEqual([]);
      expect(canary.connections).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('reports a payload answered with anything but a refusal', async () => {
    const app = await fetcher(true);
    try {
      const report = await probeSsrf(app.url, {
        path: '/fetch',
        payloads: [{ name: 'file', url: 'file:///etc/passwd' }],
      });
      expect(report.findings).toEqual([
        expect.objectContaining({ status: 502, message: 'answered 502, expected 400' }),
      ]);
    } finally {
      await app.close();
    }
  });

  it('the canary counts raw connections and stops cleanly', async () => {
    const before = canary.connections;
    await fetch(`${canary.url}/x?y=1`);
    expect(canary.connections).toBe(before + 1);
    expect(canary.requests).toEqual(['/x?y=1']);
    await canary.stop();
    await canary.stop();
    await expect(
      fetch(`http://127.0.0.1:${(canary as unknown as { lastPort?: number }).lastPort ?? 9}/`),
    ).rejects.toThrow();
  });
});
