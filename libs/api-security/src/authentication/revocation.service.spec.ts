import { randomUUID } from 'node:crypto';
import { resolveApiSecurityOptions } from '../api-security.options';
import type { SecurityEventBus } from '../audit/security-event.bus';
import type { SecurityEvent } from '../audit/security-event';
import { MemorySecurityStore } from '../store/memory.store';
import { RedisSecurityStore } from '../store/redis.store';
import type { SecurityStore } from '../store/security-store';
import { revokedJtiKey, revokedSessionKey, userValidAfterKey } from './revocation.keys';
import { RevocationService } from './revocation.service';
import { describeWithServices } from '../../../../test/support/services';

const options = resolveApiSecurityOptions({
  jwt: { algorithm: 'HS256', secret: 'x'.repeat(32), clockToleranceSeconds: 5, refreshTokenTtlSeconds: 3600 },
});

function recordingBus(): { bus: SecurityEventBus; events: SecurityEvent[] } {
  const events: SecurityEvent[] = [];
  return { bus: { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus, events };
}

function describeRevocation(name: string, createStore: () => SecurityStore): void {
  describe(`RevocationService on ${name}`, () => {
    let store: SecurityStore;
    let service: RevocationService;
    let events: SecurityEvent[];
    const nowSeconds = () => Math.floor(Date.now() / 1000);
    const user = () => `user-${randomUUID()}`;

    beforeEach(() => {
      store = createStore();
      const recorded = recordingBus();
      events = recorded.events;
      service = new RevocationService(store, recorded.bus, options);
    });
    afterEach(async () => {
      jest.restoreAllMocks();
      await store.close();
    });

    it('revokes one jti of one user, and nothing else', async () => {
      const id = user();
      const iat = nowSeconds();
      expect(await service.isRevoked({ id, tokenId: 'j1', issuedAt: iat })).toBe(false);
      await service.revokeToken(id, 'j1', iat + 60);
      expect(await service.isRevoked({ id, tokenId: 'j1', issuedAt: iat })).toBe(true);
      expect(await service.isRevoked({ id, tokenId: 'j2', issuedAt: iat })).toBe(false);
      expect(await service.isRevoked({ id: user(), tokenId: 'j1', issuedAt: iat })).toBe(false);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'token.revoked',
          principalId: id,
          reason: 'token',
          details: { tokenId: 'j1' },
        }),
      ]);
    });

    it('keeps a revoked jti until exp plus the clock tolerance, and stores nothing for a dead token', async () => {
      const set = jest.spyOn(store, 'set');
      const id = user();
      const now = Date.now();
      jest.spyOn(Date, 'now').mockReturnValue(now);
      await service.revokeToken(id, 'j1', Math.floor(now / 1000) + 60);
      const ttl = set.mock.calls[0]?.[2] as number;
      expect(set.mock.calls[0]?.[0]).toBe(revokedJtiKey(id, 'j1'));
      expect(ttl).toBe(Math.ceil((Math.floor(now / 1000) + 60) * 1000 + 5000 - now));
      await service.revokeToken(id, 'j2', Math.floor(now / 1000) - 10);
      expect(set).toHaveBeenCalledTimes(1);
      expect(events).toHaveLength(2);
    });

    it('revokeAllForUser kills tokens issued before the stamp, not those issued at or after it', async () => {
      const id = user();
      const revokedAt = 1_700_000_000_250;
      jest.spyOn(Date, 'now').mockReturnValue(revokedAt);
      await service.revokeAllForUser(id);
      // Valid again from the next millisecond: what was issued in the revocation's own millisecond is dead too.
      expect(await store.get(userValidAfterKey(id))).toBe(String(revokedAt + 1));
      expect(await service.isRevoked({ id, tokenId: 'a', issuedAt: 1_700_000_000 })).toBe(true);
      expect(await service.isRevoked({ id, tokenId: 'b', issuedAt: 1_699_999_000 })).toBe(true);
      expect(await service.isRevoked({ id, tokenId: 'c', issuedAt: 1_700_000_001 })).toBe(false);
      expect(await service.isRevoked({ id: user(), tokenId: 'd', issuedAt: 1_600_000_000 })).toBe(false);
      // A revocation landing exactly on a second: a token of that second was issued before it.
      jest.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
      await service.revokeAllForUser(id);
      expect(await service.isRevoked({ id, tokenId: 'e', issuedAt: 1_800_000_000 })).toBe(true);
      expect(events).toHaveLength(2);
      expect(events[0]).toEqual(
        expect.objectContaining({ type: 'token.revoked', principalId: id, reason: 'all_for_user' }),
      );
    });

    it('keeps the stamp at least as long as a refresh token lives', async () => {
      const set = jest.spyOn(store, 'set');
      await service.revokeAllForUser(user());
      expect(set.mock.calls[0]?.[2]).toBeGreaterThanOrEqual(3600 * 1000);
    });

    it('checks with exactly one getMany round trip', async () => {
      const id = user();
      await service.revokeAllForUser(id);
      const getMany = jest.spyOn(store, 'getMany');
      const get = jest.spyOn(store, 'get');
      await service.isRevoked({ id, tokenId: 'j', issuedAt: nowSeconds() });
      expect(getMany).toHaveBeenCalledTimes(1);
      expect(getMany).toHaveBeenCalledWith([userValidAfterKey(id), revokedJtiKey(id, 'j')]);
      await service.isRevoked({ id, tokenId: 'j', sessionId: 's', issuedAt: nowSeconds() });
      expect(getMany).toHaveBeenCalledTimes(2);
      expect(getMany).toHaveBeenLastCalledWith([
        userValidAfterKey(id),
        revokedJtiKey(id, 'j'),
        revokedSessionKey(id, 's'),
      ]);
      expect(get).not.toHaveBeenCalled();
    });

    it('revokeSession kills every token of that session (any jti), not other sessions or other users', async () => {
      const id = user();
      const iat = nowSeconds();
      expect(await service.isRevoked({ id, tokenId: 'j1', sessionId: 's1', issuedAt: iat })).toBe(false);
      await service.revokeSession(id, 's1');
      expect(await service.isRevoked({ id, tokenId: 'j1', sessionId: 's1', issuedAt: iat })).toBe(true);
      expect(await service.isRevoked({ id, tokenId: 'j2', sessionId: 's1', issuedAt: iat + 100 })).toBe(true);
      expect(await service.isRevoked({ id, tokenId: 'j3', sessionId: 's2', issuedAt: iat })).toBe(false);
      expect(await service.isRevoked({ id, tokenId: 'j4', issuedAt: iat })).toBe(false);
      expect(await service.isRevoked({ id: user(), tokenId: 'j1', sessionId: 's1', issuedAt: iat })).toBe(false);
      expect(events).toEqual([
        expect.objectContaining({
          type: 'token.revoked',
          principalId: id,
          reason: 'session',
          details: { sessionId: 's1' },
        }),
      ]);
    });

    it('keeps a session record until the session ends plus one access-token lifetime and the tolerance', async () => {
      const set = jest.spyOn(store, 'set');
      // Access tokens live 900 s by default; sessions at most 3600 s (refreshTokenTtlSeconds).
      await service.revokeSession(user(), 's', { sessionEndsInMs: 120_000 });
      expect(set.mock.calls[0]?.[2]).toBe(120_000 + 900_000 + 5000);
      await service.revokeSession(user(), 's');
      expect(set.mock.calls[1]?.[2]).toBe(3_600_000 + 900_000 + 5000);
      // An ended session still has access tokens out for one lifetime; a far-off clock is capped.
      await service.revokeSession(user(), 's', { sessionEndsInMs: -50_000 });
      expect(set.mock.calls[2]?.[2]).toBe(900_000 + 5000);
      await service.revokeSession(user(), 's', { sessionEndsInMs: 10 * 3_600_000 });
      expect(set.mock.calls[3]?.[2]).toBe(3_600_000 + 900_000 + 5000);
    });

    it('fails closed when the store answers fewer values than asked', async () => {
      jest.spyOn(store, 'getMany').mockResolvedValueOnce([null]);
      expect(await service.isRevoked({ id: user(), tokenId: 'j', sessionId: 's', issuedAt: nowSeconds() })).toBe(true);
    });

    it('fails closed on an unreadable stamp or a stamp without issuedAt', async () => {
      const id = user();
      await store.set(userValidAfterKey(id), 'not-a-number', 60_000);
      expect(await service.isRevoked({ id, tokenId: 'j', issuedAt: nowSeconds() + 100 })).toBe(true);
      const other = user();
      await service.revokeAllForUser(other);
      expect(await service.isRevoked({ id: other, tokenId: 'j' })).toBe(true);
      expect(await service.isRevoked({ id: user(), tokenId: 'j' })).toBe(false);
    });

    it('refuses empty ids and a non-numeric expiry', async () => {
      await expect(service.revokeToken('', 'j', 1)).rejects.toThrow(TypeError);
      await expect(service.revokeToken('u', '', 1)).rejects.toThrow(TypeError);
      await expect(service.revokeToken('u', 'j', Number.NaN)).rejects.toThrow(TypeError);
      await expect(service.revokeAllForUser('')).rejects.toThrow(TypeError);
      await expect(service.revokeSession('', 's')).rejects.toThrow(TypeError);
      await expect(service.revokeSession('u', '')).rejects.toThrow(TypeError);
      await expect(service.revokeSession('u', 's', { sessionEndsInMs: Number.NaN })).rejects.toThrow(TypeError);
    });
  });
}

describeRevocation('MemorySecurityStore', () => new MemorySecurityStore());

describeWithServices('RevocationService over Redis', ['redis'], ({ redis: url }) => {
  const keyPrefix = `revocation-spec-${randomUUID()}:`;
  describeRevocation('RedisSecurityStore', () => new RedisSecurityStore({ url, keyPrefix }));
});
