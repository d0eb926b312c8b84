import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ErrorCode, type SecurityEvent } from '@api-security/nestjs';
import { solveProofOfWork, solvesProofOfWork } from '@api-security/nestjs/testing';
import { expectProblem } from '../utils/problem';
import { onSecurityEvent } from '../utils/security-events';
import { SAMPLE_DATABASE, startSampleApp, type RunningSampleApp } from './sample-app';
import { describeWithServices, type Service } from '../support/services';

const PASSWORD = 'correct horse battery staple';
const MAX_PER_HOUR = 3;

interface Issued {
  challenge: string;
  difficulty: number;
  expiresAt: string;
}

describe(`sample-api checkout (${SAMPLE_DATABASE})`, () => {
  let sample: RunningSampleApp;
  const events: SecurityEvent[] = [];
  const lastRefusal = () => events.filter((e) => e.type === 'flow.refused').at(-1)?.reason;
  const http = () => request(sample.app.getHttpServer());

  beforeAll(async () => {
    sample = await startSampleApp({
      CHECKOUT_POW_DIFFICULTY: '2',
      CHECKOUT_MAX_PER_HOUR: String(MAX_PER_HOUR),
      RATE_LIMIT: '100000/60s',
    });
    onSecurityEvent(sample.app, (event) => events.push(event));
  });
  afterAll(() => sample.close());

  async function account(): Promise<string> {
    const email = `shopper-${randomUUID().slice(0, 8)}@example.com`;
    expect(
      (await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'Shopper' })).status,
    ).toBe(201);
    const login = await http().post('/api/v1/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
    return login.body.accessToken as string;
  }

  async function order(token: string): Promise<string> {
    const res = await http()
      .post('/api/v1/orders')
      .set('Authorization', `Bearer ${token}`)
      .send({ items: [{ sku: 'sku-1', quantity: 1 }] });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function challenge(token: string): Promise<Issued> {
    const res = await http().get('/api/v1/checkout/challenge').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return res.body as Issued;
  }

  const checkout = (token: string, body: object) =>
    http().post('/api/v1/checkout').set('Authorization', `Bearer ${token}`).send(body);

  /** A checkout body with a freshly issued and solved challenge. */
  async function solved(
    token: string,
    orderId: string,
  ): Promise<{ orderId: string; challenge: string; nonce: string }> {
    const issued = await challenge(token);
    return { orderId, challenge: issued.challenge, nonce: solveProofOfWork(issued.challenge, issued.difficulty) };
  }

  it('issues {challenge, difficulty, expiresAt} from CHECKOUT_POW_DIFFICULTY, to authenticated users only', async () => {
    const issued = await challenge(await account());
    expect(Object.keys(issued).sort()).toEqual(['challenge', 'difficulty', 'expiresAt']);
    expect(issued.challenge).toMatch(/^[0-9a-f]{32}$/);
    expect(issued.difficulty).toBe(2);
    expect(Date.parse(issued.expiresAt)).toBeGreaterThan(Date.now());
    expect(new Date(issued.expiresAt).toISOString()).toBe(issued.expiresAt);
    expectProblem(await http().get('/api/v1/checkout/challenge'), 401, ErrorCode.UNAUTHENTICATED);
  });

  it('accepts a solved challenge for the caller’s own order, once', async () => {
    const a = await account();
    const orderId = await order(a);
    const body = await solved(a, orderId);
    const res = await checkout(a, body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ orderId, status: 'confirmed', checkedOutAt: expect.any(String) });
    const seen = await http().get(`/api/v1/orders/${orderId}`).set('Authorization', `Bearer ${a}`);
    expect(seen.body.status).toBe('paid');
    // Replaying the same challenge (on another order of the caller) is refused.
    expectProblem(await checkout(a, { ...body, orderId: await order(a) }), 409, ErrorCode.CHALLENGE_REUSED);
  });

  it('refuses a missing challenge, a wrong nonce and a made-up challenge', async () => {
    const a = await account();
    const orderId = await order(a);
    expectProblem(await checkout(a, { orderId }), 400, ErrorCode.CHALLENGE_REQUIRED);
    const issued = await challenge(a);
    let wrong = 0;
    while (solvesProofOfWork(issued.challenge, String(wrong), issued.difficulty)) wrong++;
    expectProblem(
      await checkout(a, { orderId, challenge: issued.challenge, nonce: String(wrong) }),
      400,
      ErrorCode.CHALLENGE_INVALID,
    );
    expectProblem(
      await checkout(a, { orderId, challenge: 'a'.repeat(32), nonce: '1' }),
      400,
      ErrorCode.CHALLENGE_INVALID,
    );
    expectProblem(
      await checkout(a, { orderId, challenge: issued.challenge, nonce: 17 }),
      400,
      ErrorCode.CHALLENGE_INVALID,
    );
    const seen = await http().get(`/api/v1/orders/${orderId}`).set('Authorization', `Bearer ${a}`);
    expect(seen.body.status).toBe('pending');
  });

  it('refuses a challenge issued to another user, which its owner can still use', async () => {
    const a = await account();
    const b = await account();
    const bodyForA = await solved(a, await order(a));
    expectProblem(await checkout(b, { ...bodyForA, orderId: await order(b) }), 400, ErrorCode.CHALLENGE_INVALID);
    expect(lastRefusal()).toBe('challenge_foreign');
    expect((await checkout(a, bodyForA)).status).toBe(201);
  });

  it('refuses an expired challenge', async () => {
    const a = await account();
    const body = await solved(a, await order(a));
    // Only Date moves (past the 300 s lifetime); timers and the store's monotonic clock keep running.
    jest.useFakeTimers({
      now: Date.now() + 301_000,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      expectProblem(await checkout(a, body), 400, ErrorCode.CHALLENGE_INVALID);
      expect(lastRefusal()).toBe('challenge_expired');
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers 404 for another user’s order, without spending the caller’s challenge', async () => {
    const a = await account();
    const b = await account();
    const ordersOfA = await order(a);
    const body = await solved(b, ordersOfA);
    expectProblem(await checkout(b, body), 404, ErrorCode.NOT_FOUND);
    expectProblem(await checkout(b, { ...body, orderId: randomUUID() }), 404, ErrorCode.NOT_FOUND);
    expectProblem(await checkout(b, { ...body, orderId: 42 }), 404, ErrorCode.NOT_FOUND);
    const seen = await http().get(`/api/v1/orders/${ordersOfA}`).set('Authorization', `Bearer ${a}`);
    expect(seen.body.status).toBe('pending');
    expect((await checkout(b, { ...body, orderId: await order(b) })).status).toBe(201);
  });

  it('refuses the (max+1)-th successful checkout in the hour with 429 and Retry-After; failures do not count', async () => {
    const a = await account();
    const b = await account();
    const paid = await order(a);
    expect((await checkout(a, await solved(a, paid))).status).toBe(201);
    // Checking out an order already paid fails (409) and does not use up the hour's budget.
    for (let i = 0; i < 2; i++) expectProblem(await checkout(a, await solved(a, paid)), 409, ErrorCode.CONFLICT);
    for (let i = 1; i < MAX_PER_HOUR; i++)
      expect((await checkout(a, await solved(a, await order(a)))).status).toBe(201);
    const refused = await checkout(a, await solved(a, await order(a)));
    expectProblem(refused, 429, ErrorCode.FLOW_LIMITED);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3000);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);
    // B has a budget of their own.
    expect((await checkout(b, await solved(b, await order(b)))).status).toBe(201);
  });

  it('never admits more than the hourly maximum of 30 concurrent checkouts', async () => {
    const a = await account();
    const bodies = await Promise.all(Array.from({ length: 30 }, async () => solved(a, await order(a))));
    const results = await Promise.all(bodies.map((body) => checkout(a, body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(MAX_PER_HOUR);
    expect(results.filter((r) => r.status === 429)).toHaveLength(30 - MAX_PER_HOUR);
  });
});

// The hourly limit is set above the burst here, so that only the challenge's single use decides.
const stores: [string, Record<string, string | undefined>, Service[]][] = [
  ['the memory store', { REDIS_URL: undefined }, []],
  ['Redis', {}, ['redis']],
];
for (const [store, env, services] of stores)
  describeWithServices(`sample-api checkout challenge under a burst (${SAMPLE_DATABASE}, ${store})`, services, () => {
    let sample: RunningSampleApp;
    const http = () => request(sample.app.getHttpServer());

    beforeAll(async () => {
      sample = await startSampleApp({ CHECKOUT_POW_DIFFICULTY: '2', CHECKOUT_MAX_PER_HOUR: '100', ...env });
    });
    afterAll(() => sample.close());

    it('accepts one of 40 parallel submissions of one solved challenge (each for its own order); 39 get 409', async () => {
      const email = `burst-${randomUUID().slice(0, 8)}@example.com`;
      expect((await http().post('/api/v1/auth/register').send({ email, password: PASSWORD, name: 'B' })).status).toBe(
        201,
      );
      const token = (await http().post('/api/v1/auth/login').send({ email, password: PASSWORD })).body
        .accessToken as string;
      const auth = { Authorization: `Bearer ${token}` };
      const orders = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const res = await http()
            .post('/api/v1/orders')
            .set(auth)
            .send({ items: [{ sku: 'sku-1', quantity: 1 }] });
          expect(res.status).toBe(201);
          return res.body.id as string;
        }),
      );
      const issued = (await http().get('/api/v1/checkout/challenge').set(auth)).body as Issued;
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      const results = await Promise.all(
        orders.map((orderId) =>
          http().post('/api/v1/checkout').set(auth).send({ orderId, challenge: issued.challenge, nonce }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const replays = results.filter((r) => r.status !== 201);
      expect(replays).toHaveLength(39);
      for (const res of replays) expectProblem(res, 409, ErrorCode.CHALLENGE_REUSED);
      const paid = await Promise.all(
        orders.map(async (id) => (await http().get(`/api/v1/orders/${id}`).set(auth)).body.status as string),
      );
      expect(paid.filter((status) => status === 'paid')).toHaveLength(1);
    });
  });
