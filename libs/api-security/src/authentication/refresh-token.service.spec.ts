import { createHash, randomUUID } from 'node:crypto';
import { resolveApiSecurityOptions, type ApiSecurityModuleOptions } from '../api-security.options';
import { UnauthenticatedException } from '../errors/security.exception';
import type { SecurityStore } from '../store/security-store';
import { RefreshTokenService } from './refresh-token.service';
import { RevocationService } from './revocation.service';
import { revokedSessionKey, userValidAfterKey } from './revocation.keys';
import { describeOnEachStore, RecordingEventBus } from '../../spec-support/session-stores';

const TOKEN_SHAPE = /^rt_[A-Za-z0-9_-]{43}$/;
const SECOND = 1000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a refused rotation looks like to the client. */
async function expectRefused(pending: Promise<unknown>): Promise<UnauthenticatedException> {
  const error = await pending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UnauthenticatedException);
  const refused = error as UnauthenticatedException;
  expect(refused.getStatus()).toBe(401);
  expect(refused.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
  return refused;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

describeOnEachStore('RefreshTokenService', (backend) => {
  let events: RecordingEventBus;

  beforeEach(() => {
    events = new RecordingEventBus();
  });

  /** One app instance: its own service (and, on Redis, its own client) over the shared state. */
  const instance = (options: ApiSecurityModuleOptions = {}, store: SecurityStore = backend().instance()) => {
    const resolved = resolveApiSecurityOptions(options);
    return new RefreshTokenService(
      store,
      events,
      resolved,
      new RevocationService(store, events, resolved),
      backend().clock.now,
    );
  };

  const user = () => `user-${randomUUID()}`;
  const revocationOn = (store: SecurityStore) => new RevocationService(store, events, resolveApiSecurityOptions({}));

  describe('issue', () => {
    it('returns an rt_ token of 256 random bits, a random family id and the idle deadline', async () => {
      const service = instance({
        jwt: { refreshTokenTtlSeconds: 30 * 86_400 },
        sessions: { refreshIdleSeconds: 3600 },
      });
      const now = backend().clock.now();
      const issued = await service.issue(user());
      expect(issued.refreshToken).toMatch(TOKEN_SHAPE);
      expect(Buffer.from(issued.refreshToken.slice(3), 'base64url')).toHaveLength(32);
      expect(issued.familyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(issued.expiresAt).toBe(Math.floor((now + 3600 * SECOND) / 1000));
    });

    it('never repeats a token or a family id', async () => {
      const service = instance();
      const userId = user();
      const issued = await Promise.all(Array.from({ length: 50 }, () => service.issue(userId)));
      expect(new Set(issued.map((i) => i.refreshToken)).size).toBe(50);
      expect(new Set(issued.map((i) => i.familyId)).size).toBe(50);
    });

    it('caps the idle lifetime by the absolute lifetime', async () => {
      const service = instance({ jwt: { refreshTokenTtlSeconds: 600 }, sessions: { refreshIdleSeconds: 3600 } });
      const now = backend().clock.now();
      const issued = await service.issue(user());
      expect(issued.expiresAt).toBe(Math.floor((now + 600 * SECOND) / 1000));
    });

    it('rejects an empty user id', async () => {
      await expect(instance().issue('')).rejects.toThrow(TypeError);
    });
  });

  describe('rotate', () => {
    it('returns a new token of the same family and user; the presented one is dead', async () => {
      const service = instance();
      const userId = user();
      const first = await service.issue(userId);
      const second = await service.rotate(first.refreshToken);
      expect(second.userId).toBe(userId);
      expect(second.familyId).toBe(first.familyId);
      expect(second.refreshToken).toMatch(TOKEN_SHAPE);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      await expectRefused(service.rotate(first.refreshToken));
    });

    it('keeps rotating: each token works exactly once', async () => {
      const service = instance();
      let token = (await service.issue(user())).refreshToken;
      for (let i = 0; i < 5; i++) {
        backend().clock.advance(60 * SECOND);
        token = (await service.rotate(token)).refreshToken;
      }
      await expect(service.rotate(token)).resolves.toMatchObject({ refreshToken: expect.stringMatching(TOKEN_SHAPE) });
    });

    it('works across instances: issued by one, rotated by another', async () => {
      const a = instance();
      const b = instance();
      const issued = await a.issue(user());
      const rotated = await b.rotate(issued.refreshToken);
      await expect(a.rotate(rotated.refreshToken)).resolves.toMatchObject({ familyId: issued.familyId });
    });

    it.each<[string, unknown]>([
      ['empty', ''],
      ['not a string', 42],
      ['without the prefix', 'A'.repeat(46)],
      ['too short', 'rt_abc'],
      ['with a space', `rt_${'A'.repeat(42)} `],
      ['a bearer header', `Bearer rt_${'A'.repeat(43)}`],
    ])('refuses a malformed token (%s)', async (_name, token) => {
      await expectRefused(instance().rotate(token as string));
      expect(events.events).toEqual([]);
    });

    it('refuses a well-formed token that was never issued, without any event', async () => {
      await expectRefused(instance().rotate(`rt_${'A'.repeat(43)}`));
      expect(events.events).toEqual([]);
    });
  });

  describe('reuse detection (RFC 9700 §4.14.2)', () => {
    it('revokes the whole family when a spent token comes back: old AND newest tokens are refused', async () => {
      const service = instance();
      const userId = user();
      const first = await service.issue(userId);
      const second = await service.rotate(first.refreshToken);
      const third = await service.rotate(second.refreshToken);

      // The attacker replays the first token; the victim then refreshes with the newest one.
      await expectRefused(service.rotate(first.refreshToken, { ip: '203.0.113.9', requestId: 'req-42' }));
      await expectRefused(service.rotate(third.refreshToken));
      await expectRefused(service.rotate(second.refreshToken));

      const [reuse] = events.ofType('token.reuse');
      expect(reuse).toMatchObject({
        type: 'token.reuse',
        principalId: userId,
        ip: '203.0.113.9',
        requestId: 'req-42',
        details: { familyId: first.familyId, revoked: true },
      });
    });

    it("revokes the session: every access token minted from the family (sid) is refused, the user's other sessions are not", async () => {
      const service = instance();
      const userId = user();
      const stolen = await service.issue(userId);
      const other = await service.issue(userId);
      await service.rotate(stolen.refreshToken);
      const revocation = revocationOn(backend().instance());
      expect(await revocation.isRevoked({ id: userId, sessionId: stolen.familyId })).toBe(false);
      await expectRefused(service.rotate(stolen.refreshToken));
      expect(await revocation.isRevoked({ id: userId, sessionId: stolen.familyId })).toBe(true);
      expect(await revocation.isRevoked({ id: userId, sessionId: other.familyId })).toBe(false);
      expect(events.ofType('token.revoked')).toMatchObject([
        { reason: 'session', principalId: userId, details: { sessionId: stolen.familyId } },
      ]);
    });

    it('keeps the session record until the family ends plus an access-token lifetime and the clock tolerance', async () => {
      const store = backend().instance();
      const set = jest.spyOn(store, 'set');
      const options = { jwt: { accessTokenTtlSeconds: 600, refreshTokenTtlSeconds: 86_400, clockToleranceSeconds: 5 } };
      const service = instance(options, store);
      const issued = await service.issue(user());
      const rotated = await service.rotate(issued.refreshToken);
      backend().clock.advance(3600 * SECOND);
      await expectRefused(service.rotate(issued.refreshToken));
      const session = set.mock.calls.find(([key]) => key.includes(':sid:'));
      // Family created at t0 lives 86 400 s; reuse at t0 + 3600 s: 82 800 s left, + 600 s + 5 s.
      expect(session?.[2]).toBe((86_400 - 3600 + 600 + 5) * SECOND);
      await expectRefused(service.rotate(rotated.refreshToken));
      set.mockRestore();
    });

    it('leaves other families of the same user alone', async () => {
      const service = instance();
      const userId = user();
      const laptop = await service.issue(userId);
      const phone = await service.issue(userId);
      await service.rotate(laptop.refreshToken);
      await expectRefused(service.rotate(laptop.refreshToken));
      await expect(service.rotate(phone.refreshToken)).resolves.toMatchObject({ familyId: phone.familyId });
    });

    it('detects reuse across instances', async () => {
      const a = instance();
      const b = instance();
      const issued = await a.issue(user());
      const rotated = await a.rotate(issued.refreshToken);
      await expectRefused(b.rotate(issued.refreshToken));
      await expectRefused(a.rotate(rotated.refreshToken));
      expect(events.ofType('token.reuse')).toHaveLength(1);
    });

    it('never puts the token (or its hash) in an event', async () => {
      const service = instance();
      const issued = await service.issue(user());
      const rotated = await service.rotate(issued.refreshToken);
      await expectRefused(service.rotate(issued.refreshToken, { ip: '198.51.100.1' }));
      await expectRefused(service.rotate(rotated.refreshToken));
      await service.revokeFamily(issued.familyId);
      const logged = JSON.stringify(events.events);
      for (const token of [issued.refreshToken, rotated.refreshToken]) {
        expect(logged).not.toContain(token.slice(3));
        expect(logged).not.toContain(sha256(token));
      }
    });
  });

  describe('grace window (sessions.refreshReuseGraceSeconds)', () => {
    it('refuses a token spent moments ago without revoking the family', async () => {
      const service = instance({ sessions: { refreshReuseGraceSeconds: 10 } });
      const first = await service.issue(user());
      const second = await service.rotate(first.refreshToken);
      backend().clock.advance(5 * SECOND);
      await expectRefused(service.rotate(first.refreshToken));
      expect(events.ofType('token.reuse')).toEqual([]);
      expect(events.ofType('authentication.failure')).toMatchObject([
        { reason: 'refresh_reused_within_grace', details: { familyId: first.familyId } },
      ]);
      await expect(service.rotate(second.refreshToken)).resolves.toMatchObject({ familyId: first.familyId });
    });

    it('revokes the family when the spent token comes back after the window', async () => {
      const service = instance({ sessions: { refreshReuseGraceSeconds: 10 } });
      const first = await service.issue(user());
      const second = await service.rotate(first.refreshToken);
      backend().clock.advance(11 * SECOND);
      await expectRefused(service.rotate(first.refreshToken));
      expect(events.ofType('token.reuse')).toHaveLength(1);
      await expectRefused(service.rotate(second.refreshToken));
    });

    it('is off by default: an immediate replay revokes the family', async () => {
      const service = instance();
      const first = await service.issue(user());
      const second = await service.rotate(first.refreshToken);
      await expectRefused(service.rotate(first.refreshToken));
      await expectRefused(service.rotate(second.refreshToken));
    });
  });

  describe('concurrency', () => {
    const raced = new Map<RefreshTokenService[], string>();
    const issuedOf = (instances: RefreshTokenService[]): string => raced.get(instances)!;
    const rotateTwentyAtOnce = async (options: ApiSecurityModuleOptions) => {
      // Two instances (two Redis clients) race on the same token.
      const instances = [instance(options), instance(options)];
      const issued = await instances[0]!.issue(user());
      raced.set(instances, issued.refreshToken);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => instances[i % 2]!.rotate(issued.refreshToken)),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r) => r.status === 'rejected');
      for (const loser of losers) expect(loser.reason).toBeInstanceOf(UnauthenticatedException);
      return { instances, winners, losers };
    };

    it('of 20 concurrent rotations of one token exactly one succeeds', async () => {
      const { winners, losers } = await rotateTwentyAtOnce({});
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(19);
    });

    it('without a grace window, replaying the raced token afterwards revokes the winner’s family', async () => {
      const { instances, winners } = await rotateTwentyAtOnce({});
      const [winner] = winners as PromiseFulfilledResult<{ refreshToken: string }>[];
      await expectRefused(instances[1]!.rotate(issuedOf(instances)));
      await expectRefused(instances[0]!.rotate(winner!.value.refreshToken));
      expect(events.ofType('token.reuse').length).toBeGreaterThan(0);
    });

    it('with a grace window the duplicates are refused and the winner’s new token lives on', async () => {
      const { instances, winners } = await rotateTwentyAtOnce({ sessions: { refreshReuseGraceSeconds: 5 } });
      const [winner] = winners as PromiseFulfilledResult<{ refreshToken: string; familyId: string }>[];
      await expect(instances[1]!.rotate(winner!.value.refreshToken)).resolves.toMatchObject({
        familyId: winner!.value.familyId,
      });
      expect(events.ofType('token.reuse')).toEqual([]);
    });
  });

  describe('lifetimes', () => {
    it('expires a token left unused for sessions.refreshIdleSeconds, without calling it reuse', async () => {
      const service = instance({ jwt: { refreshTokenTtlSeconds: 86_400 }, sessions: { refreshIdleSeconds: 600 } });
      const first = await service.issue(user());
      backend().clock.advance(599 * SECOND);
      const second = await service.rotate(first.refreshToken);
      backend().clock.advance(600 * SECOND);
      await expectRefused(service.rotate(second.refreshToken));
      expect(events.ofType('token.reuse')).toEqual([]);
    });

    it('ends the family at the absolute lifetime, which rotation never extends', async () => {
      const service = instance({ jwt: { refreshTokenTtlSeconds: 1000 }, sessions: { refreshIdleSeconds: 600 } });
      const start = backend().clock.now();
      let token = (await service.issue(user())).refreshToken;
      backend().clock.advance(400 * SECOND);
      token = (await service.rotate(token)).refreshToken;
      backend().clock.advance(400 * SECOND);
      const last = await service.rotate(token);
      // Idle would allow 600 more seconds; the family has 200 left.
      expect(last.expiresAt).toBe(Math.floor((start + 1000 * SECOND) / 1000));
      backend().clock.advance(200 * SECOND);
      await expectRefused(service.rotate(last.refreshToken));
    });

    it('gives every stored record a TTL that ends with the family', async () => {
      const service = instance({ jwt: { refreshTokenTtlSeconds: 1 } });
      const issued = await service.issue(user());
      const store = backend().instance();
      const keys = [`{rt:${sha256(issued.refreshToken)}}:live`, `{rt:${sha256(issued.refreshToken)}}:issued`];
      await expect(store.getMany(keys)).resolves.toEqual([expect.any(String), expect.any(String)]);
      if (backend().kind === 'memory') backend().clock.advance(1001);
      else await sleep(1100);
      await expect(store.getMany(keys)).resolves.toEqual([null, null]);
      await expect(store.get(`{rf:${issued.familyId}}`)).resolves.toBeNull();
    });
  });

  describe('revokeFamily (logout)', () => {
    it('kills every token of the family at once, on every instance', async () => {
      const a = instance();
      const b = instance();
      const userId = user();
      const issued = await a.issue(userId);
      const current = await a.rotate(issued.refreshToken);
      await b.revokeFamily(issued.familyId);
      await expectRefused(a.rotate(current.refreshToken));
      expect(events.ofType('token.revoked')).toMatchObject([
        { reason: 'session', principalId: userId, details: { sessionId: issued.familyId } },
        { reason: 'family', principalId: userId, details: { familyId: issued.familyId } },
      ]);
    });

    it("revokes the session's access tokens (sid) too, on every instance, and no other session's", async () => {
      const userId = user();
      const a = instance();
      const one = await a.issue(userId);
      const two = await a.issue(userId);
      await instance().revokeFamily(one.familyId);
      const revocation = revocationOn(backend().instance());
      expect(await revocation.isRevoked({ id: userId, sessionId: one.familyId })).toBe(true);
      expect(await revocation.isRevoked({ id: userId, sessionId: two.familyId })).toBe(false);
    });

    it("still revokes the session's access tokens when the family is already gone, under the owner named", async () => {
      const userId = user();
      const service = instance();
      const issued = await service.issue(userId);
      await service.revokeFamily(issued.familyId);
      await backend().instance().delete(revokedSessionKey(userId, issued.familyId));
      await service.revokeFamily(issued.familyId, userId);
      expect(await revocationOn(backend().instance()).isRevoked({ id: userId, sessionId: issued.familyId })).toBe(true);
    });

    it('reports a token of a logged-out family presented again as reuse (without anything left to revoke)', async () => {
      const service = instance();
      const issued = await service.issue(user());
      await service.revokeFamily(issued.familyId);
      await expectRefused(service.rotate(issued.refreshToken));
      await expectRefused(service.rotate(issued.refreshToken));
      expect(events.ofType('authentication.failure')).toEqual([]);
      expect(events.ofType('token.reuse')).toMatchObject([{ details: { familyId: issued.familyId, revoked: false } }]);
    });

    it('leaves the user’s other sessions alone', async () => {
      const service = instance();
      const userId = user();
      const one = await service.issue(userId);
      const two = await service.issue(userId);
      await service.revokeFamily(one.familyId);
      await expectRefused(service.rotate(one.refreshToken));
      await expect(service.rotate(two.refreshToken)).resolves.toMatchObject({ familyId: two.familyId });
    });

    it('is a no-op for an unknown family and refuses something that is not a family id', async () => {
      const service = instance();
      await expect(service.revokeFamily('A'.repeat(22))).resolves.toBeUndefined();
      expect(events.events).toEqual([]);
      await expect(service.revokeFamily('{rf:x}')).rejects.toThrow(TypeError);
    });
  });

  describe('user-wide revocation (userValidAfterKey)', () => {
    it('kills families created before the stamp and not those created after it', async () => {
      const service = instance();
      const store = backend().instance();
      const userId = user();
      const before = await service.issue(userId);
      backend().clock.advance(SECOND);
      await store.set(userValidAfterKey(userId), String(backend().clock.now()), 86_400 * SECOND);
      await expectRefused(service.rotate(before.refreshToken));

      const after = await service.issue(userId);
      await expect(service.rotate(after.refreshToken)).resolves.toMatchObject({ userId });
    });

    it('does not touch other users', async () => {
      const service = instance();
      const store = backend().instance();
      const other = await service.issue(user());
      await store.set(userValidAfterKey(user()), String(backend().clock.now() + SECOND), 86_400 * SECOND);
      await expect(service.rotate(other.refreshToken)).resolves.toBeDefined();
    });

    it('fails closed on an unreadable stamp', async () => {
      const service = instance();
      const userId = user();
      const issued = await service.issue(userId);
      await backend()
        .instance()
        .set(userValidAfterKey(userId), 'garbage', 86_400 * SECOND);
      await expectRefused(service.rotate(issued.refreshToken));
    });

    it('honours RevocationService.revokeAllForUser, and a login right after it works', async () => {
      const store = backend().instance();
      const options = resolveApiSecurityOptions({});
      // Real time on both sides: the stamp and the new family may fall in the same millisecond.
      const revocation = new RevocationService(store, events, options);
      const service = new RefreshTokenService(store, events, options, revocation);
      const userId = user();
      const before = await service.issue(userId);
      // The stamp kills what was created strictly before it; make sure a millisecond has passed.
      await sleep(5);
      await revocation.revokeAllForUser(userId);
      const after = await service.issue(userId);
      await expectRefused(service.rotate(before.refreshToken));
      await expect(service.rotate(after.refreshToken)).resolves.toMatchObject({ userId });
    });

    it('treats a stamp a little ahead of this instance’s clock (another instance) as already passed at login', async () => {
      const service = instance();
      const userId = user();
      await backend()
        .instance()
        .set(userValidAfterKey(userId), String(backend().clock.now() + 50), 86_400 * SECOND);
      const issued = await service.issue(userId);
      await expect(service.rotate(issued.refreshToken)).resolves.toMatchObject({ userId });
    });
  });

  describe('storage', () => {
    it('stores only SHA-256 hashes: no key or value holds a token or its secret part', async () => {
      const service = instance();
      const issued = await service.issue(user());
      const rotated = await service.rotate(issued.refreshToken);
      const next = await service.rotate(rotated.refreshToken);
      const contents = (await backend().contents()).join('\n');
      for (const token of [issued.refreshToken, rotated.refreshToken, next.refreshToken]) {
        expect(contents).not.toContain(token.slice(3));
        expect(contents).not.toContain(token.slice(3, 23));
        expect(contents).not.toContain(Buffer.from(token.slice(3), 'base64url').toString('hex'));
        expect(contents).toContain(sha256(token));
      }
    });

    it('refuses a token whose stored record was tampered with (fail closed)', async () => {
      const service = instance();
      const issued = await service.issue(user());
      await backend()
        .instance()
        .set(`{rt:${sha256(issued.refreshToken)}}:live`, '{"f":"x"}', 60 * SECOND);
      await expectRefused(service.rotate(issued.refreshToken));
    });
  });
});
