import { Controller, Get, HttpCode, Param, Query } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, Public } from '@api-security/nestjs';
import { StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

@Controller('shape')
class ShapeController {
  @Public()
  @HttpCode(202)
  @Get(':id')
  read(@Param('id') id: string, @Query('q') q: string | undefined): { id: string; q: string | null } {
    return { id, q: q ?? null };
  }
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts `probe` right after the first `request` listener (the library's), before Express's own:
 * it sees the request and response as the library hands them to Express.
 */
function probeAfterFirstListener(server: Server, probe: Listener): void {
  const listeners = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const [first, ...rest] = listeners;
  if (first) server.on('request', first);
  server.on('request', probe);
  for (const listener of rest) server.on('request', listener);
}

/** A mix of what an application answers: public, per user, validated bodies, errors, statuses. */
async function mixedRound(app: INestApplication, i: number): Promise<void> {
  const http = app.getHttpServer() as Server;
  const user = i % 2 === 0 ? 'user-a' : 'user-b';
  const [pub, mine, created, invalid, missing, shaped] = await Promise.all([
    request(http).get('/api/things/public'),
    request(http).get('/api/things/mine').set('Authorization', `Bearer ${user}`),
    request(http)
      .post('/api/things')
      .set('Authorization', `Bearer ${user}`)
      .send({ items: [{ sku: `SKU-${i}`, quantity: 1 }] }),
    request(http)
      .post('/api/things')
      .set('Authorization', `Bearer ${user}`)
      .send({ items: [{ sku: 'SKU', quantity: 0 }] }),
    request(http).get(`/api/nowhere/${i}`),
    request(http).get(`/api/shape/s-${i}?q=${i}`),
  ]);
  expect([pub.status, pub.body]).toEqual([200, { ok: true }]);
  expect([mine.status, mine.body]).toEqual([200, { id: user }]);
  expect([created.status, created.body]).toEqual([201, { count: 1 }]);
  expectProblem(invalid, 400, ErrorCode.VALIDATION);
  expectProblem(missing, 404, ErrorCode.NOT_FOUND);
  expect([shaped.status, shaped.body]).toEqual([202, { id: `s-${i}`, q: String(i) }]);
  expect(shaped.headers['x-content-type-options']).toBe('nosniff');
}

describe.each([true, false])(
  'Express requests prepared before the prototype swap (shapeExpressRequests: %s)',
  (shape) => {
    let app: INestApplication;
    const seen: { params: boolean; locals: boolean; statusCode: unknown }[] = [];

    beforeAll(async () => {
      app = await createApp('express', {
        imports: [
          ApiSecurityModule.forRoot({
            authenticators: [StaticTokenAuthenticator],
            hardening: { shapeExpressRequests: shape },
            rateLimit: { enabled: false },
          }),
        ],
        controllers: [ThingsController, ShapeController],
      });
      probeAfterFirstListener(app.getHttpServer() as Server, (req, res) => {
        seen.push({
          params: Object.hasOwn(req, 'params'),
          locals: Object.hasOwn(res, 'locals'),
          statusCode: res.statusCode,
        });
      });
    });
    afterAll(() => app.close());

    it('answers every kind of request as usual, 36 at once while it learns and then in rounds', async () => {
      await Promise.all(Array.from({ length: 6 }, (_, i) => mixedRound(app, i)));
      for (let i = 6; i < 12; i++) await mixedRound(app, i);
    });

    it(
      shape ? 'hands Express requests that already have its properties' : 'hands Express the requests untouched',
      () => {
        const last = seen.at(-1);
        expect(last).toEqual({ params: shape, locals: shape, statusCode: 200 });
        // The first requests, before any was answered, are never prepared.
        expect(seen[0]).toEqual({ params: false, locals: false, statusCode: 200 });
      },
    );
  },
);
