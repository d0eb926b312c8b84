import type { INestApplication } from '@nestjs/common';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

/**
 * Sends the request head with a declared body and then nothing: what the server answers while the
 * client still owes every body byte. Resolves with the response head, or with 'no answer' after
 * `waitMs` (a server that waits for the body never answers on its own).
 */
function answerBeforeBody(port: number, head: string, waitMs = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('no answer');
    }, waitMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(head);
  });
}

describe.each(ADAPTERS)('hardening checks run before any body is read, on every path (%s)', (kind) => {
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    app = await createApp(
      kind,
      {
        imports: [
          ApiSecurityModule.forRoot({ hardening: { bodyLimit: '1kb' }, authenticators: [StaticTokenAuthenticator] }),
        ],
        controllers: [ThingsController],
      },
      // Nest's own CORS, set up before init as an application would.
      (nest) => nest.enableCors({ origin: 'https://app.example.com' }),
    );
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  it('answers a declared 50 kB body with 413 while the client has sent none of it', async () => {
    // Under the framework's own parser limit (100 kB): only the library's 1 kB limit refuses it, and
    // only a check placed before the parser answers without waiting for the 50,000 bytes.
    const head = await answerBeforeBody(
      port,
      'POST /api/things/public HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n',
    );
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head.toLowerCase()).toContain('x-content-type-options: nosniff');
  });

  it('refuses a non-JSON body outside the global prefix as inside it: 415 problem details', async () => {
    for (const path of ['/api/things/public', '/outside-the-prefix']) {
      const res = await request(app.getHttpServer()).post(path).set('Content-Type', 'text/plain').send('hello');
      expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it("leaves a refusal readable cross-origin: Nest's enableCors still runs before the checks", async () => {
    const res = await request(app.getHttpServer())
      .post('/api/things/public')
      .set('Origin', 'https://app.example.com')
      .set('Content-Type', 'text/plain')
      .send('hello');
    expectProblem(res, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });

  it('still serves a JSON body within the limit', async () => {
    const res = await request(app.getHttpServer())
      .post('/api/things')
      .set('Authorization', 'Bearer user-a')
      .send({ items: [{ sku: 'a', quantity: 1 }] });
    expect(res.status).toBe(201);
  });
});
