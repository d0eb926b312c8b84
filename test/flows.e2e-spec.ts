import type { INestApplication } from '@nestjs/common';
import { Controller, Post } from '@nestjs/common';
import { THROTTLER_SKIP } from '@nestjs/throttler/dist/throttler.constants';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, Public, SensitiveFlow, type SecurityEvent } from '@api-security/nestjs';
import { solveProofOfWork, solvesProofOfWork } from '@api-security/nestjs/testing';
import {
  AnyUserAuthenticator,
  CaptchaEscalation,
  FlowRuns,
  FlowsController,
  FlowsTestingModule,
} from './fixtures/flows.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { onSecurityEvent } from './utils/security-events';
import { describeWithServices } from './support/services';

const user = () => `u-${randomUUID()}`;

function flowsApp(kind: AdapterKind, store?: { type: 'redis'; url: string; keyPrefix: string }) {
  return createApp(kind, {
    imports: [
      ApiSecurityModule.forRoot({ authenticators: [AnyUserAuthenticator], ...(store ? { store } : {}) }),
      FlowsTestingModule,
    ],
    controllers: [FlowsController],
  });
}

describe.each(ADAPTERS)('sensitive business flows over HTTP (%s)', (kind) => {
  let app: INestApplication;
  const events: SecurityEvent[] = [];
  const post = (path: string, as?: string, body: object = {}) => {
    const req = request(app.getHttpServer()).post(`/api/flows/${path}`);
    return (as ? req.set('Authorization', `Bearer ${as}`) : req).send(body);
  };
  const refusals = (flow: string) => events.filter((e) => e.type === 'flow.refused' && e.details?.flow === flow);

  beforeAll(async () => {
    app = await flowsApp(kind);
    onSecurityEvent(app, (event) => events.push(event));
  });
  afterAll(() => app.close());

  function expectLimited(res: request.Response, maxSeconds: number): void {
    expectProblem(res, 429, ErrorCode.FLOW_LIMITED);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  }

  describe('velocity', () => {
    it('counts every attempt per principal: the 4th of 3/3600s gets 429 with Retry-After, others are unaffected', async () => {
      const a = user();
      for (let i = 0; i < 3; i++) expect((await post('velocity', a)).status).toBe(201);
      expectLimited(await post('velocity', a), 3600);
      expectLimited(await post('velocity', a), 3600);
      expect(app.get(FlowRuns).count('velocity', a)).toBe(3);
      expect((await post('velocity', user())).status).toBe(201);
      expect(refusals('velocity')).toEqual([
        expect.objectContaining({
          type: 'flow.refused',
          reason: 'velocity',
          principalId: a,
          route: 'POST /api/flows/velocity',
          details: expect.objectContaining({ flow: 'velocity', scope: 'principal', limit: '3/3600s', status: 429 }),
        }),
        expect.objectContaining({ reason: 'velocity', principalId: a }),
      ]);
    });

    it('counts anonymous callers per IP on a public flow', async () => {
      expect((await post('by-ip')).status).toBe(201);
      expect((await post('by-ip', user())).status).toBe(201);
      expectLimited(await post('by-ip'), 3600);
      expect(refusals('by-ip')).toEqual([
        expect.objectContaining({ reason: 'velocity', details: expect.objectContaining({ scope: 'ip' }) }),
      ]);
    });

    it('counts only failures with count: failures; successes are free', async () => {
      const a = user();
      for (let i = 0; i < 3; i++) expect((await post('guess', a, { code: `wrong-${i}` })).status).toBe(400);
      // Even the right code is refused once the failures are spent.
      expectLimited(await post('guess', a, { code: 'right' }), 3600);
      expect(app.get(FlowRuns).count('guess', a)).toBe(3);
      const b = user();
      for (let i = 0; i < 6; i++) expect((await post('guess', b, { code: 'right' })).status).toBe(201);
      expect((await post('guess', b, { code: 'wrong' })).status).toBe(400);
    });

    it('lets no more than the failure budget of 30 concurrent guesses reach the handler', async () => {
      const a = user();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post('guess', a, { code: `w${i}` })));
      expect(results.filter((r) => r.status === 400)).toHaveLength(3);
      expect(results.filter((r) => r.status === 429)).toHaveLength(27);
      expect(app.get(FlowRuns).count('guess', a)).toBe(3);
    });

    it('counts only successes with count: successes; failures give their slot back', async () => {
      const a = user();
      for (let i = 0; i < 4; i++) expect((await post('redeem', a, { fail: true })).status).toBe(409);
      for (let i = 0; i < 5; i++) expect((await post('redeem', a)).status).toBe(201);
      expectLimited(await post('redeem', a), 3600);
      expect(app.get(FlowRuns).count('redeem', a)).toBe(5);
    });

    it('admits exactly 5 of 40 concurrent requests against a successes limit of 5', async () => {
      const a = user();
      const results = await Promise.all(Array.from({ length: 40 }, () => post('redeem', a)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      const refused = results.filter((r) => r.status === 429);
      expect(refused).toHaveLength(35);
      for (const res of refused) expectLimited(res, 3600);
      expect(app.get(FlowRuns).count('redeem', a)).toBe(5);
    });

    it('ignores a stray @SkipThrottle(): the flow limit still applies', async () => {
      // The route really carries the throttler's skip flag…
      expect(Reflect.getMetadata(`${THROTTLER_SKIP}default`, FlowsController.prototype.unthrottled)).toBe(true);
      // …and the flow check does not care.
      const a = user();
      expect((await post('unthrottled', a)).status).toBe(201);
      expectLimited(await post('unthrottled', a), 3600);
      expect(refusals('unthrottled')).toHaveLength(1);
    });
  });

  describe('cooldown', () => {
    it('refuses the same principal after a success, not after failures, with Retry-After', async () => {
      const a = user();
      for (let i = 0; i < 3; i++) expect((await post('cooldown', a, { fail: true })).status).toBe(409);
      expect((await post('cooldown', a)).status).toBe(201);
      const refused = await post('cooldown', a);
      expectLimited(refused, 600);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(590);
      expect((await post('cooldown', user())).status).toBe(201);
      expect(refusals('cooldown')).toEqual([
        expect.objectContaining({
          reason: 'cooldown',
          principalId: a,
          details: expect.objectContaining({ scope: 'principal' }),
        }),
      ]);
    });

    it('lets only one of 30 concurrent requests succeed', async () => {
      const a = user();
      const results = await Promise.all(Array.from({ length: 30 }, () => post('cooldown', a)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 429)).toHaveLength(29);
      expect(app.get(FlowRuns).count('cooldown', a)).toBe(1);
    });
  });

  describe('escalation hook', () => {
    it('asks for a CAPTCHA instead of refusing, and lets a solved one through', async () => {
      const a = user();
      expect((await post('escalate', a)).status).toBe(201);
      const asked = await post('escalate', a);
      expectProblem(asked, 403, ErrorCode.FORBIDDEN);
      expect(JSON.parse(asked.text).detail).toBe('Solve the CAPTCHA to continue.');
      const solved = await request(app.getHttpServer())
        .post('/api/flows/escalate')
        .set('Authorization', `Bearer ${a}`)
        .set('X-Captcha', 'solved')
        .send({});
      expect(solved.status).toBe(201);
      expect(app.get(CaptchaEscalation).seen).toEqual(
        expect.arrayContaining([expect.objectContaining({ flow: 'escalate', reason: 'velocity', status: 429 })]),
      );
      expect(events.filter((e) => e.details?.flow === 'escalate')).toEqual([
        expect.objectContaining({
          type: 'flow.refused',
          reason: 'velocity',
          details: expect.objectContaining({ escalation: 'raised' }),
        }),
        expect.objectContaining({
          type: 'flow.escalated',
          reason: 'velocity',
          details: expect.objectContaining({ escalation: 'allowed' }),
        }),
      ]);
    });

    it('leaves other flows’ refusals alone (the default refuses)', async () => {
      const a = user();
      await post('unthrottled', a);
      expectLimited(await post('unthrottled', a, {}), 3600);
    });
  });

  describe('proof of work', () => {
    async function challenge(as: string): Promise<{ challenge: string; difficulty: number; expiresAt: string }> {
      const res = await request(app.getHttpServer())
        .get('/api/flows/pow/challenge')
        .set('Authorization', `Bearer ${as}`);
      expect(res.status).toBe(200);
      return res.body;
    }

    it('issues a challenge with the difficulty registered by provideFlowPolicy and an ISO expiry', async () => {
      const issued = await challenge(user());
      expect(issued.challenge).toMatch(/^[0-9a-f]{32}$/);
      expect(issued.difficulty).toBe(2);
      expect(new Date(issued.expiresAt).toISOString()).toBe(issued.expiresAt);
      expect(Date.parse(issued.expiresAt)).toBeGreaterThan(Date.now());
    });

    it('accepts a solved challenge once; a replay gets 409 ERR_CHALLENGE_REUSED', async () => {
      const a = user();
      const issued = await challenge(a);
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      expect((await post('pow', a, { challenge: issued.challenge, nonce })).status).toBe(201);
      expectProblem(await post('pow', a, { challenge: issued.challenge, nonce }), 409, ErrorCode.CHALLENGE_REUSED);
      expect(app.get(FlowRuns).count('pow', a)).toBe(1);
      expect(refusals('pow').at(-1)).toMatchObject({ reason: 'challenge_reused', principalId: a });
    });

    it('accepts one of 40 concurrent submissions of one solved challenge; the other 39 get 409', async () => {
      const a = user();
      const issued = await challenge(a);
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      const results = await Promise.all(
        Array.from({ length: 40 }, () => post('pow', a, { challenge: issued.challenge, nonce })),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      const replays = results.filter((r) => r.status !== 201);
      expect(replays).toHaveLength(39);
      for (const res of replays) expectProblem(res, 409, ErrorCode.CHALLENGE_REUSED);
      expect(app.get(FlowRuns).count('pow', a)).toBe(1);
    });

    it('refuses a missing challenge with 400 ERR_CHALLENGE_REQUIRED', async () => {
      expectProblem(await post('pow', user(), {}), 400, ErrorCode.CHALLENGE_REQUIRED);
      expect(refusals('pow').at(-1)).toMatchObject({ reason: 'challenge_missing' });
    });

    it('refuses a wrong nonce with 400 and spends the challenge', async () => {
      const a = user();
      const issued = await challenge(a);
      let wrong = 0;
      while (solvesProofOfWork(issued.challenge, `w${wrong}`, issued.difficulty)) wrong++;
      expectProblem(
        await post('pow', a, { challenge: issued.challenge, nonce: `w${wrong}` }),
        400,
        ErrorCode.CHALLENGE_INVALID,
      );
      expect(refusals('pow').at(-1)).toMatchObject({ reason: 'pow_failed' });
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      expectProblem(await post('pow', a, { challenge: issued.challenge, nonce }), 409, ErrorCode.CHALLENGE_REUSED);
    });

    it('refuses a challenge issued to someone else, without spending it for its owner', async () => {
      const a = user();
      const b = user();
      const issued = await challenge(a);
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      expectProblem(await post('pow', b, { challenge: issued.challenge, nonce }), 400, ErrorCode.CHALLENGE_INVALID);
      expect(refusals('pow').at(-1)).toMatchObject({ reason: 'challenge_foreign', principalId: b });
      expect((await post('pow', a, { challenge: issued.challenge, nonce })).status).toBe(201);
      expect(app.get(FlowRuns).count('pow', b)).toBe(0);
    });

    it.each([
      ['a numeric nonce', (c: string) => ({ challenge: c, nonce: 12 })],
      ['an array nonce', (c: string) => ({ challenge: c, nonce: ['1'] })],
      ['an over-long nonce', (c: string) => ({ challenge: c, nonce: '1'.repeat(1000) })],
      ['an object challenge', () => ({ challenge: { $ne: null }, nonce: '1' })],
      ['an unknown challenge', () => ({ challenge: 'f'.repeat(32), nonce: '1' })],
    ])('refuses %s with 400 ERR_CHALLENGE_INVALID', async (_name, body) => {
      const a = user();
      const issued = await challenge(a);
      expectProblem(await post('pow', a, body(issued.challenge)), 400, ErrorCode.CHALLENGE_INVALID);
      expect(app.get(FlowRuns).count('pow', a)).toBe(0);
    });
  });
});

describe('sensitive flows at boot', () => {
  it('refuses a @Public() flow without a per-IP limit, naming the route', async () => {
    @Controller('open')
    class OpenController {
      @Public()
      @Post('signup')
      @SensitiveFlow('signup', { perPrincipal: '3/3600s' })
      signup(): void {}
    }
    await expect(
      createApp('express', {
        imports: [ApiSecurityModule.forRoot({ authenticators: [AnyUserAuthenticator] })],
        controllers: [OpenController],
      }),
    ).rejects.toThrow(
      /POST \/api\/open\/signup: OpenController\.signup is @Public\(\) with @SensitiveFlow\('signup'\) but no perIp limit/,
    );
  });

  it('refuses a registered policy that makes a flow invalid, naming the route', async () => {
    await expect(
      createApp('express', {
        imports: [ApiSecurityModule.forRoot({ authenticators: [AnyUserAuthenticator] }), FlowsTestingModule],
        controllers: [FlowsController],
        providers: [{ provide: 'api-security:flow-policy:velocity', useValue: { perPrincipal: 'often' } }],
      }),
    ).rejects.toThrow(/@SensitiveFlow\("velocity"\) on FlowsController\.velocity is invalid/);
  });
});

describeWithServices('sensitive flows over Redis', ['redis'], ({ redis: url }) => {
  describe('sensitive flows on two instances sharing Redis', () => {
    let first: INestApplication;
    let second: INestApplication;
    beforeAll(async () => {
      const store = { type: 'redis' as const, url, keyPrefix: `flows-e2e-${randomUUID()}:` };
      first = await flowsApp('express', store);
      second = await flowsApp('fastify', store);
    });
    afterAll(async () => {
      await first?.close();
      await second?.close();
    });
    const post = (app: INestApplication, path: string, as: string, body: object = {}) =>
      request(app.getHttpServer()).post(`/api/flows/${path}`).set('Authorization', `Bearer ${as}`).send(body);

    it('admits exactly 5 of 40 concurrent requests spread over both instances', async () => {
      const a = user();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => post(i % 2 ? second : first, 'redeem', a)),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(5);
      expect(results.filter((r) => r.status === 429)).toHaveLength(35);
      expect(first.get(FlowRuns).count('redeem', a) + second.get(FlowRuns).count('redeem', a)).toBe(5);
    });

    it('lets no more than the failure budget of 30 concurrent guesses over both instances reach a handler', async () => {
      const a = user();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(i % 2 ? second : first, 'guess', a, { code: `w${i}` })),
      );
      expect(results.filter((r) => r.status === 400)).toHaveLength(3);
      expect(results.filter((r) => r.status === 429)).toHaveLength(27);
      expect(first.get(FlowRuns).count('guess', a) + second.get(FlowRuns).count('guess', a)).toBe(3);
    });

    it('lets one of 30 concurrent requests over both instances take the cooldown', async () => {
      const a = user();
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(i % 2 ? second : first, 'cooldown', a)),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 429)).toHaveLength(29);
    });

    it('accepts one of 40 concurrent submissions of one solved challenge over both instances', async () => {
      const a = user();
      const issued = (
        await request(first.getHttpServer()).get('/api/flows/pow/challenge').set('Authorization', `Bearer ${a}`)
      ).body as { challenge: string; difficulty: number };
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          post(i % 2 ? second : first, 'pow', a, { challenge: issued.challenge, nonce }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409)).toHaveLength(39);
      expect(first.get(FlowRuns).count('pow', a) + second.get(FlowRuns).count('pow', a)).toBe(1);
    });

    it('a challenge issued and used on one instance is a replay on the other', async () => {
      const a = user();
      const issued = (
        await request(first.getHttpServer()).get('/api/flows/pow/challenge').set('Authorization', `Bearer ${a}`)
      ).body as { challenge: string; difficulty: number };
      const nonce = solveProofOfWork(issued.challenge, issued.difficulty);
      expect((await post(second, 'pow', a, { challenge: issued.challenge, nonce })).status).toBe(201);
      expectProblem(
        await post(first, 'pow', a, { challenge: issued.challenge, nonce }),
        409,
        ErrorCode.CHALLENGE_REUSED,
      );
    });
  });
});
