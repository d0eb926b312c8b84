import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import type { SecurityEvent } from '@api-security/nestjs';
import { startLocalServer, type LocalServer } from '../support/local-server';
import { expectProblem } from '../utils/problem';
import { onSecurityEvent } from '../utils/security-events';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

const PASSWORD = 'correct horse battery staple';
const ADMIN = { email: 'root-previews@example.com', password: 'admin password for tests' };

const WORDS = Array.from({ length: 400 }, (_, i) => `word${i}`);
const PAGE_TEXT = `Title ${WORDS.join(' ')}`;
const PAGE =
  `<!doctype html><html><head><title>Title</title><script>var secret = "x";</script></head>` +
  `<body>${WORDS.map((w) => `<p>${w}</p>`).join('')}</body></html>`;

/**
 * Everything stays on loopback. The "site" on 127.0.0.2 stands for an allowed public web site: it is
 * reachable only because the app runs with PREVIEW_ALLOWED_CIDRS=127.0.0.2/32 (a test-only setting,
 * refused in production). The canaries on 127.0.0.1 and ::1 are what an SSRF would reach: every refused
 * URL points at them, in every notation, and they must never see a single connection.
 */
describe(`sample-api previews (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  let site: LocalServer;
  let canary: LocalServer;
  let canary6: LocalServer;
  const events: SecurityEvent[] = [];
  const http = () => request(sample.app.getHttpServer());

  function siteHandler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      case '/plain':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('just text');
        return;
      case '/gone':
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found here');
        return;
      case '/redirect':
        res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
        res.end();
        return;
      case '/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(10));
        return;
      case '/endless': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let written = 0;
        const pump = (): void => {
          while (!res.destroyed && written < 256 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        };
        res.on('drain', pump);
        pump();
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end();
    }
  }

  const canaryHandler = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('internal secret');
  };

  async function userToken(): Promise<string> {
    const email = `previews-${randomUUID().slice(0, 8)}@example.com`;
    expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'P' })).status).toBe(
      201,
    );
    return (await http().post('/api/v1/auth/login').send({ email, password: PASSWORD })).body.accessToken as string;
  }

  let auth: { Authorization: string };

  beforeAll(async () => {
    site = await startLocalServer(siteHandler, '127.0.0.2');
    canary = await startLocalServer(canaryHandler, '127.0.0.1');
    canary6 = await startLocalServer(canaryHandler, '::1');
    sample = await startSampleApp({
      SEED_ADMIN_EMAIL: ADMIN.email,
      SEED_ADMIN_PASSWORD: ADMIN.password,
      // Every loopback spelling is on the host list, so what refuses them is the address check.
      PREVIEW_ALLOWED_HOSTS: '127.0.0.2,127.0.0.1,::1,::ffff:7f00:1,localhost,169.254.169.254,10.0.0.1,0.0.0.0',
      PREVIEW_ALLOWED_PORTS: `80,443,${site.port},${canary.port},${canary6.port}`,
      PREVIEW_ALLOWED_CIDRS: '127.0.0.2/32',
    });
    onSecurityEvent(sample.app, (event) => events.push(event));
    auth = { Authorization: `Bearer ${await userToken()}` };
  });

  afterAll(async () => {
    await sample.close();
    await Promise.all([site.close(), canary.close(), canary6.close()]);
  });

  const preview = (url: string) => http().post('/api/v1/previews').set(auth).send({ url });

  it('answers 200 with status, content type and the visible text capped at 1000 characters', async () => {
    const res = await preview(`${site.origin}/page`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['contentType', 'preview', 'status']);
    expect(res.body.status).toBe(200);
    expect(res.body.contentType).toBe('text/html');
    expect(PAGE_TEXT.length).toBeGreaterThan(1000);
    expect(res.body.preview).toHaveLength(1000);
    expect(res.body.preview).toBe(PAGE_TEXT.slice(0, 1000));
    expect(res.body.preview).not.toMatch(/<|secret/);
  });

  it('passes plain text and the remote status through', async () => {
    expect((await preview(`${site.origin}/plain`)).body).toEqual({
      status: 200,
      contentType: 'text/plain',
      preview: 'just text',
    });
    expect((await preview(`${site.origin}/gone`)).body).toEqual({
      status: 404,
      contentType: 'text/plain',
      preview: 'not found here',
    });
  });

  it('follows a redirect that stays on allowed ground', async () => {
    const res = await preview(`${site.origin}/redirect?to=${encodeURIComponent('/plain')}`);
    expect(res.status).toBe(200);
    expect(res.body.preview).toBe('just text');
  });

  describe('refuses with 400 and never connects', () => {
    const viaSite = (to: () => string) => () => `${site.origin}/redirect?to=${encodeURIComponent(to())}`;
    it.each<[string, () => string]>([
      ['127.0.0.1', () => `http://127.0.0.1:${canary.port}/`],
      ['127.1', () => `http://127.1:${canary.port}/`],
      ['decimal 2130706433', () => `http://2130706433:${canary.port}/`],
      ['hex 0x7f000001', () => `http://0x7f000001:${canary.port}/`],
      ['octal 0177.0.0.1', () => `http://0177.0.0.1:${canary.port}/`],
      ['[::1]', () => `http://[::1]:${canary6.port}/`],
      ['[::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${canary.port}/`],
      ['[::ffff:7f00:1]', () => `http://[::ffff:7f00:1]:${canary.port}/`],
      ['localhost', () => `http://localhost:${canary.port}/`],
      ['0.0.0.0', () => `http://0.0.0.0:${canary.port}/`],
      ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'],
      ['a private address', () => 'http://10.0.0.1/'],
      ['file:', () => 'file:///etc/passwd'],
      ['gopher:', () => `gopher://127.0.0.1:${canary.port}/_INFO`],
      ['ftp:', () => `ftp://127.0.0.2:${site.port}/`],
      ['data:', () => 'data:text/plain,hello'],
      ['a host not on PREVIEW_ALLOWED_HOSTS', () => 'http://example.com/'],
      ['credentials in the URL', () => `http://user:hunter2@127.0.0.2:${site.port}/plain`],
      ['a port not on the list', () => 'http://127.0.0.2:6379/'],
      ['not a URL', () => 'not a url'],
      ['a redirect to loopback', viaSite(() => `http://127.0.0.1:${canary.port}/`)],
      ['a redirect to [::1]', viaSite(() => `http://[::1]:${canary6.port}/`)],
      ['a redirect to decimal loopback', viaSite(() => `http://2130706433:${canary.port}/`)],
      ['a redirect to localhost', viaSite(() => `http://localhost:${canary.port}/`)],
      ['a redirect to the metadata address', viaSite(() => 'http://169.254.169.254/latest/meta-data/')],
      ['a redirect to file:', viaSite(() => 'file:///etc/passwd')],
    ])('%s', async (_name, url) => {
      const before = events.length;
      const res = await preview(url());
      expectProblem(res, 400, 'ERR_OUTBOUND_REFUSED');
      expect(res.text).not.toContain('internal secret');
      expect(canary.connections).toBe(0);
      expect(canary6.connections).toBe(0);
      const refused = events.slice(before).filter((e) => e.type === 'outbound.refused');
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        route: expect.stringContaining('/api/v1/previews'),
        principalId: expect.any(String),
      });
      expect(JSON.stringify(refused)).not.toContain('hunter2');
    });
  });

  it('bounds size and content type', async () => {
    expectProblem(await preview(`${site.origin}/endless`), 400, 'ERR_OUTBOUND_TOO_LARGE');
    expectProblem(await preview(`${site.origin}/binary`), 400, 'ERR_OUTBOUND_CONTENT_TYPE');
  });

  it('validates the body', async () => {
    expectProblem(await http().post('/api/v1/previews').set(auth).send({}), 400, 'ERR_VALIDATION');
    expectProblem(
      await http()
        .post('/api/v1/previews')
        .set(auth)
        .send({ url: `${site.origin}/plain`, follow: true }),
      400,
      'ERR_VALIDATION',
    );
    expectProblem(
      await http()
        .post('/api/v1/previews')
        .set(auth)
        .send({ url: `http://${'a'.repeat(3000)}.com/` }),
      400,
      'ERR_VALIDATION',
    );
  });

  it('requires an authenticated user', async () => {
    const requests = site.requests;
    const res = await http()
      .post('/api/v1/previews')
      .send({ url: `${site.origin}/plain` });
    expectProblem(res, 401, 'ERR_UNAUTHENTICATED');
    expect(site.requests).toBe(requests);
  });

  it('shows blocked previews to admins in the security events', async () => {
    await preview('http://169.254.169.254/latest/meta-data/');
    const login = await http().post('/api/v1/auth/login').send(ADMIN);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const res = await http()
      .get('/api/v1/admin/security-events?limit=100')
      .set('Authorization', `Bearer ${login.body.accessToken as string}`);
    expect(res.status).toBe(200);
    const blocked = (res.body.items as { type: string; reason?: string }[]).filter(
      (e) => e.type === 'outbound.refused',
    );
    expect(blocked.length).toBeGreaterThan(0);
    expect(res.text).not.toContain('hunter2');
    expect(canary.connections).toBe(0);
    expect(canary6.connections).toBe(0);
  });
});
