import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { StaticTokenAuthenticator } from './fixtures/foundation.fixture';
import { IntegrityController } from './fixtures/input-integrity.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';

const USER = 'Bearer user-a';
const ITEM = { sku: 'A', quantity: 1 };

function fieldsOf(res: request.Response): string[] {
  return ((JSON.parse(res.text) as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
}

function start(kind: AdapterKind, configure?: (app: INestApplication) => void): Promise<INestApplication> {
  return createApp(
    kind,
    {
      imports: [ApiSecurityModule.forRoot({ authenticators: [StaticTokenAuthenticator] })],
      controllers: [IntegrityController],
    },
    configure,
  );
}

/** How an application reads `+json` bodies as JSON, on each adapter. */
function parsePlusJson(kind: AdapterKind): (app: INestApplication) => void {
  return (app) => {
    if (kind === 'express') {
      (app as NestExpressApplication).useBodyParser('json', { type: ['application/json', 'application/*+json'] });
      return;
    }
    const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
    fastify.addContentTypeParser(
      /^application\/[a-z0-9.-]+\+json$/i,
      { parseAs: 'string' },
      fastify.getDefaultJsonParser('error', 'error'),
    );
  };
}

describe.each(ADAPTERS)('input integrity over HTTP (%s)', (kind) => {
  let app: INestApplication;
  let controller: IntegrityController;
  const http = () => request(app.getHttpServer());
  const postOrder = (body: string, type = 'application/json') =>
    http().post('/api/integrity/orders').set('Authorization', USER).set('Content-Type', type).send(body);
  const patchProfile = (body: unknown, type = 'application/json') =>
    http()
      .patch('/api/integrity/profile')
      .set('Authorization', USER)
      .set('Content-Type', type)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  beforeAll(async () => {
    app = await start(kind);
    controller = app.get(IntegrityController);
  });
  afterAll(() => app.close());

  describe('nested DTOs take plain objects only', () => {
    it.each([
      ['{"items":[[]]}', 'items[0]'],
      ['{"items":[[{"sku":"A","quantity":1}]]}', 'items[0]'],
      ['{"items":[{"sku":"A","quantity":1},[{"sku":"B","quantity":1}]]}', 'items[1]'],
      ['{"items":[1]}', 'items[0]'],
      ['{"items":["A"]}', 'items[0]'],
      ['{"items":[null]}', 'items[0]'],
      ['{"items":{"sku":"A","quantity":1}}', 'items'],
      ['{"items":"A"}', 'items'],
      ['{"items":[{"sku":"A","quantity":1}],"shipTo":[{"city":"Paris"}]}', 'shipTo'],
      ['{"items":[{"sku":"A","quantity":1}],"shipTo":"Paris"}', 'shipTo'],
    ])('refuses %s with 400 naming %s, and the handler never runs', async (body, field) => {
      const before = controller.orders.length;
      const res = await postOrder(body);
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toContain(field);
      expect(controller.orders.length).toBe(before);
    });

    it('accepts an array of item objects and a single address object', async () => {
      const res = await postOrder(
        JSON.stringify({ items: [ITEM, { sku: 'B', quantity: 2 }], shipTo: { city: 'Paris' } }),
      );
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ count: 2 });
      expect(controller.orders.at(-1)?.items.every((item) => typeof item.sku === 'string')).toBe(true);
    });
  });

  describe('control characters in plain text', () => {
    it.each(['\u0000', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f'])(
      'refuses %j in a plain-text field with 400, never 5xx, and changes nothing',
      async (character) => {
        const before = controller.profileUpdates;
        const res = await patchProfile({ name: `bad${character}name` });
        expectProblem(res, 400, ErrorCode.VALIDATION);
        expect(fieldsOf(res)).toEqual(['name']);
        expect(controller.profileUpdates).toBe(before);
        expect(controller.profile.name).not.toContain(character);
      },
    );

    it('accepts tab, line feed and carriage return in a @MultilineText field, never NUL', async () => {
      const ok = await patchProfile({ bio: 'line one\r\nline two\tindented' });
      expect(ok.status).toBe(200);
      expect(ok.body.bio).toBe('line one\r\nline two\tindented');
      const nul = await patchProfile({ bio: 'line one\n\u0000' });
      expectProblem(nul, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(nul)).toEqual(['bio']);
    });

    it('accepts text in any script', async () => {
      const res = await patchProfile({ name: 'Zoë Ångström 東京 🚀' });
      expect(res.status).toBe(200);
      expect(res.body.name).toBe('Zoë Ångström 東京 🚀');
    });

    it('refuses control characters in nested fields and in property names', async () => {
      const nested = await postOrder(JSON.stringify({ items: [{ sku: 'A\u0000', quantity: 1 }] }));
      expectProblem(nested, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(nested)).toEqual(['items[0].sku']);
      const key = await patchProfile('{"na\\u0000me":"x"}');
      expectProblem(key, 400, ErrorCode.VALIDATION);
      expect(key.text).not.toContain('\\u0000');
    });

    it('refuses them in query strings and route parameters too', async () => {
      const query = await http().get('/api/integrity/search?q=a%00b').set('Authorization', USER);
      expectProblem(query, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(query)).toEqual(['q']);
      expect((await http().get('/api/integrity/search?q=ab').set('Authorization', USER)).body).toEqual({ q: 'ab' });
      const param = await http().get('/api/integrity/tags/a%1Bb').set('Authorization', USER);
      expectProblem(param, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(param)).toEqual(['tag']);
    });
  });

  describe('+json media types without a parser for them', () => {
    it.each([
      'application/merge-patch+json',
      'application/vnd.api+json',
      'application/merge-patch+json; charset=utf-8',
    ])('refuses a %s PATCH with 415 instead of answering 2xx having changed and checked nothing', async (type) => {
      const before = controller.profileUpdates;
      for (const body of [{ role: 'admin' }, { name: 'changed' }]) {
        expectProblem(await patchProfile(body, type), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE);
      }
      expect(controller.profileUpdates).toBe(before);
      expect(controller.profile.role).toBe('user');
      expect(controller.profile.name).not.toBe('changed');
    });

    it('refuses a +json POST with 415 too', async () => {
      const before = controller.orders.length;
      expectProblem(
        await postOrder('{"items":[[]]}', 'application/vnd.api+json'),
        415,
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
      );
      expect(controller.orders.length).toBe(before);
    });

    it('still applies the field rules to application/json', async () => {
      expectProblem(await patchProfile({ role: 'admin' }), 403, ErrorCode.FORBIDDEN);
      expect(controller.profile.role).toBe('user');
    });
  });
});

describe.each(ADAPTERS)('+json media types with a parser the application registered (%s)', (kind) => {
  let app: INestApplication;
  let controller: IntegrityController;
  const patch = (body: string, type = 'application/merge-patch+json') =>
    request(app.getHttpServer())
      .patch('/api/integrity/profile')
      .set('Authorization', USER)
      .set('Content-Type', type)
      .send(body);

  beforeAll(async () => {
    app = await start(kind, parsePlusJson(kind));
    controller = app.get(IntegrityController);
  });
  afterAll(() => app.close());

  it('parses and validates the body like application/json', async () => {
    const res = await patch('{"name":"merged"}');
    expect(res.status).toBe(200);
    expect(controller.profile.name).toBe('merged');
  });

  it('applies the write policy, the input integrity and the whitelist to it', async () => {
    const before = controller.profileUpdates;
    expectProblem(await patch('{"role":"admin"}'), 403, ErrorCode.FORBIDDEN);
    expectProblem(await patch('{"name":"a\\u0000b"}'), 400, ErrorCode.VALIDATION);
    expectProblem(await patch('{"isAdmin":true}', 'application/vnd.api+json'), 400, ErrorCode.VALIDATION);
    expectProblem(await patch('{"name":'), 400, ErrorCode.MALFORMED_JSON);
    expect(controller.profileUpdates).toBe(before);
    expect(controller.profile.role).toBe('user');
  });
});
