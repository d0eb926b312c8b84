import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { StaticTokenAuthenticator } from './fixtures/foundation.fixture';
import { BodySwapStep, BodyWalkController } from './fixtures/body-walk.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

/**
 * The request body is walked once in the guard (JSON shape and prototype keys together) and once in
 * the validation pipe (integrity and prototype keys together). These pin, over HTTP, that every
 * refusal keeps its status, code, field list and precedence, and that a body an interceptor changes
 * after the guard is still checked by the pipe.
 */
const USER = 'Bearer user-a';
const LINE = { sku: 'A', quantity: 1 };
const ORDER = { customer: 'c', lines: [LINE] };

function fieldsOf(res: request.Response): string[] {
  return ((JSON.parse(res.text) as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);
}

function nest(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe.each(ADAPTERS)('one walk of the request body (%s)', (kind) => {
  let app: INestApplication;
  let controller: BodyWalkController;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    request(app.getHttpServer())
      .post(`/api/walk/${path}`)
      .set('Authorization', USER)
      .set('Content-Type', 'application/json')
      .set(headers)
      .send(body);

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [
        ApiSecurityModule.forRoot({
          authenticators: [StaticTokenAuthenticator],
          steps: [{ use: BodySwapStep, after: 'request-limits' }],
        }),
      ],
      controllers: [BodyWalkController],
    });
    controller = app.get(BodyWalkController);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    controller.calls = 0;
  });
  afterEach(() => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts ordinary bodies (the control case)', async () => {
    expect((await post('raw', JSON.stringify({ a: [{ b: 'c' }], d: null }))).status).toBe(201);
    expect((await post('orders', JSON.stringify(ORDER))).status).toBe(201);
    expect(controller.calls).toBe(2);
  });

  describe('prototype keys nested deep', () => {
    const deepProto = JSON.stringify(nest(20, { list: [[{ x: 1 }]] })).replace(
      '"x":1',
      '"__proto__":{"polluted":true}',
    );
    const deepCtor = JSON.stringify(nest(20, { list: [{ x: 1 }] })).replace(
      '"x":1',
      '"constructor":{"prototype":{"polluted":true}}',
    );
    const path20 = Array.from({ length: 20 }, () => 'a').join('.');

    it('refuses __proto__ twenty levels down, inside arrays of arrays', async () => {
      const res = await post('raw', deepProto);
      if (kind === 'express') {
        expectProblem(res, 400, ErrorCode.VALIDATION);
        expect(fieldsOf(res)).toEqual([`${path20}.list[0][0].__proto__`]);
      } else {
        // Fastify's own parser refuses the key while parsing.
        expectProblem(res, 400, ErrorCode.MALFORMED_JSON);
      }
      expect(controller.calls).toBe(0);
    });

    it('refuses constructor.prototype twenty levels down', async () => {
      const res = await post('orders', deepCtor.replace(/^\{/, '{"customer":"c","lines":[],'));
      if (kind === 'express') {
        expectProblem(res, 400, ErrorCode.VALIDATION);
        expect(fieldsOf(res)).toEqual([`${path20}.list[0].constructor`]);
      } else {
        expectProblem(res, 400, ErrorCode.MALFORMED_JSON);
      }
      expect(controller.calls).toBe(0);
    });

    it('names every prototype key in the same order as before, on both adapters', async () => {
      const body = JSON.stringify(
        nest(5, { a: { constructor: 1, prototype: 2, ok: 3 }, b: [{ prototype: 3 }, [{ constructor: 'x' }]] }),
      );
      const res = await post('raw', body);
      expectProblem(res, 400, ErrorCode.VALIDATION);
      const at = 'a.a.a.a.a';
      expect(fieldsOf(res)).toEqual([
        `${at}.a.prototype`,
        `${at}.a.constructor`,
        `${at}.b[0].prototype`,
        `${at}.b[1][0].constructor`,
      ]);
      expect(controller.calls).toBe(0);
    });

    it('names at most ten keys', async () => {
      const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, { prototype: i }]));
      const res = await post('raw', JSON.stringify(many));
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}.prototype`));
    });

    it('leaves prototype words alone as values', async () => {
      const res = await post('raw', JSON.stringify({ name: 'constructor', tags: ['__proto__', 'prototype'] }));
      expect(res.status).toBe(201);
    });
  });

  describe('shape limits', () => {
    it('refuses a body one level deeper than maxDepth (32), and accepts one at it', async () => {
      expectProblem(await post('raw', JSON.stringify(nest(33, 1))), 400, ErrorCode.BODY_SHAPE);
      expect((await post('raw', JSON.stringify(nest(32, 1)))).status).toBe(201);
      expectProblem(await post('raw', JSON.stringify(nest(32, {}))), 400, ErrorCode.BODY_SHAPE);
      expect(controller.calls).toBe(1);
    });

    it('refuses an array wider than maxArrayLength (1000), and accepts one at it', async () => {
      const wide = (n: number) => JSON.stringify({ list: Array.from({ length: n }, (_, i) => i) });
      expectProblem(await post('raw', wide(1001)), 400, ErrorCode.BODY_SHAPE);
      expect((await post('raw', wide(1000))).status).toBe(201);
      const lines = JSON.stringify({ customer: 'c', lines: Array.from({ length: 1001 }, () => LINE) });
      expectProblem(await post('orders', lines), 400, ErrorCode.BODY_SHAPE);
      expect(controller.calls).toBe(1);
    });

    it('refuses more than maxKeys (1000) members in the whole body, and accepts 1000', async () => {
      const keys = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
      expectProblem(await post('raw', keys(1001)), 400, ErrorCode.BODY_SHAPE);
      expect((await post('raw', keys(1000))).status).toBe(201);
      const split = JSON.stringify({ a: JSON.parse(keys(600)) as unknown, b: JSON.parse(keys(400)) as unknown });
      expectProblem(await post('raw', split), 400, ErrorCode.BODY_SHAPE);
      expect(controller.calls).toBe(1);
    });

    it('refuses an over-long string or key', async () => {
      expectProblem(await post('raw', JSON.stringify({ a: ['x'.repeat(100_001)] })), 400, ErrorCode.BODY_SHAPE);
      expectProblem(await post('raw', JSON.stringify({ ['k'.repeat(100_001)]: 1 })), 400, ErrorCode.BODY_SHAPE);
      expect(controller.calls).toBe(0);
    });
  });

  describe('which refusal wins', () => {
    it('the shape limit before a prototype key', async () => {
      const body = JSON.stringify({ a: { prototype: 1 }, deep: nest(40, 1) });
      expectProblem(await post('raw', body), 400, ErrorCode.BODY_SHAPE);
    });

    it('a missing role before a prototype key', async () => {
      expectProblem(await post('admin', '{"a": {"prototype": 1}}'), 403, ErrorCode.FORBIDDEN);
    });

    it('the shape limit before a missing role', async () => {
      expectProblem(await post('admin', JSON.stringify(nest(40, 1))), 400, ErrorCode.BODY_SHAPE);
    });

    it('a prototype key before a field the principal may not write', async () => {
      const res = await post('orders', JSON.stringify({ ...ORDER, status: 'paid', x: { prototype: 1 } }));
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['x.prototype']);
      const writes = await post('orders', JSON.stringify({ ...ORDER, status: 'paid' }));
      expectProblem(writes, 403, ErrorCode.FORBIDDEN);
      expect(fieldsOf(writes)).toEqual(['status']);
    });

    it('a prototype key before a control character or an unknown field', async () => {
      const res = await post(
        'orders',
        JSON.stringify({ ...ORDER, customer: 'a\u0001', extra: 1, y: [{ constructor: 1 }] }),
      );
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['y[0].constructor']);
    });

    it('authentication before everything', async () => {
      const res = await request(app.getHttpServer())
        .post('/api/walk/raw')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ a: { prototype: 1 }, deep: nest(40, 1) }));
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
    });
  });

  describe('a body changed by an interceptor after the guard', () => {
    const mutate = (path: string, how: string, body: unknown = ORDER) =>
      post(path, JSON.stringify(body), { 'x-mutate': how });

    it('is refused when replaced by one holding __proto__', async () => {
      const res = await mutate('orders', 'replace-proto');
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['__proto__']);
      expect(controller.calls).toBe(0);
    });

    it('is refused when a constructor.prototype is added in place', async () => {
      const res = await mutate('raw', 'inplace-proto');
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['extra.deep[0].constructor']);
      expect(controller.calls).toBe(0);
    });

    it('is refused when a nested value is swapped for one holding __proto__, the root untouched', async () => {
      const res = await mutate('orders', 'inplace-nested-proto');
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['lines[0].__proto__']);
      expect(controller.calls).toBe(0);
    });

    it('names the parameter when @Body(name) gets the changed value', async () => {
      const res = await mutate('profile', 'replace-profile-proto', { profile: { name: 'x' } });
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['profile.__proto__']);
      expect(controller.calls).toBe(0);
    });

    it('is refused when a control character is written in place', async () => {
      const res = await mutate('orders', 'inplace-control');
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['customer']);
      expect(controller.calls).toBe(0);
    });

    it('is validated, not shape-checked, when made deeper or wider in place (the shape limits guard the parsed body)', async () => {
      expect((await mutate('raw', 'inplace-deep')).status).toBe(201);
      expect((await mutate('raw', 'inplace-wide')).status).toBe(201);
      const res = await mutate('orders', 'inplace-deep');
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['extra']);
      expect(controller.calls).toBe(2);
    });
  });
  describe('a body replaced inside the guard, after the walk', () => {
    const swap = (body: unknown, sent: unknown = ORDER) =>
      post('orders', JSON.stringify(sent), { 'x-swap': JSON.stringify(body) });

    it('is looked at again by write-policy, which refuses its prototype key in its place', async () => {
      const res = await swap({ ...ORDER, status: 'paid', a: { prototype: 1 } });
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['a.prototype']);
      expect(controller.calls).toBe(0);
    });

    it('answers for the body it holds, not the one walked', async () => {
      expect((await swap(ORDER, { ...ORDER, a: { prototype: 1 } })).status).toBe(201);
      const writes = await swap({ ...ORDER, status: 'paid' });
      expectProblem(writes, 403, ErrorCode.FORBIDDEN);
      expect(controller.calls).toBe(1);
    });
  });

  describe('the pipe, when the body it gets has both a prototype key and another problem', () => {
    const merge = (path: string, extra: unknown) =>
      post(path, JSON.stringify(ORDER), { 'x-mutate': 'merge', 'x-merge': JSON.stringify(extra) });

    it('names the prototype key, even inside an element it refuses as misshapen', async () => {
      const res = await merge('orders', { lines: [[{ prototype: 1 }]] });
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['lines[0][0].prototype']);
    });

    it('names the prototype key before a control character', async () => {
      const res = await merge('orders', { lines: [{ sku: 'A\u0000', quantity: 1, constructor: 1 }] });
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['lines[0].constructor']);
    });

    it('still reports integrity problems when there is no prototype key', async () => {
      const res = await merge('orders', { lines: [[LINE]], note: 'a\u0001' });
      expectProblem(res, 400, ErrorCode.VALIDATION);
      expect(fieldsOf(res)).toEqual(['lines[0]', 'note']);
      expect(controller.calls).toBe(0);
    });
  });
});
