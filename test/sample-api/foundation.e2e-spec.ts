import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';

describe(`sample-api foundation (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const http = () => request(sample.app.getHttpServer());

  beforeAll(async () => {
    sample = await startSampleApp();
  });
  afterAll(() => sample.close());

  it('answers GET /api/health with 200 {status: ok} and the contract headers', async () => {
    const res = await http().get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['referrer-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('serves an OpenAPI 3 document publicly', async () => {
    const res = await http().get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers an unknown route with a 404 problem carrying the request id and no stack', async () => {
    const res = await http().get('/api/v1/does-not-exist').set('X-Request-Id', 'trace-42');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 404, requestId: 'trace-42', instance: '/api/v1/does-not-exist' });
    expect(res.text).not.toMatch(/stack|node_modules|Cannot GET|\.ts:/);
  });

  it('answers a 200 KB body with 413', async () => {
    const res = await http()
      .post('/api/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(200 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers a chunked 200 KB body (no Content-Length) with 413 too', async () => {
    const server = sample.app.getHttpServer() as Server;
    if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/auth/login',
          headers: { 'Content-Type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
      );
      const chunk = 'x'.repeat(16 * 1024);
      req.write('{"password":"');
      for (let i = 0; i < 13; i++) req.write(chunk);
      req.end('"}');
    });
    expect(status).toBe(413);
  });

  it('answers text/plain to a JSON route with 415', async () => {
    const res = await http().post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await http().post('/api/health').set('Content-Type', 'application/json').send('{"a":');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('never answers X-Powered-By or a stack, even in production wording', async () => {
    const res = await http().get('/api/../../etc/passwd');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.text).not.toMatch(/stack|at \w+ \(/);
  });
});
