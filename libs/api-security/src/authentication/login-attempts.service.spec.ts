import { createHash, randomUUID } from 'node:crypto';
import { resolveApiSecurityOptions, type ApiSecurityModuleOptions } from '../api-security.options';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { SecurityStore } from '../store/security-store';
import { accountLockKey } from './login-attempts.keys';
import { LoginAttemptsService } from './login-attempts.service';
import { describeOnEachStore, memoryBackend, RecordingEventBus } from './testing/session-stores';

const SECOND = 1000;
const DAY_SECONDS = 86_400;
const RIGHT_PASSWORD = 'correct horse battery staple';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves to the 429 the attempt was refused with (fails the test if it was allowed). */
async function refusal(pending: Promise<unknown>): Promise<SecurityException> {
  const error = await pending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SecurityException);
  const refused = error as SecurityException;
  expect(refused.getStatus()).toBe(429);
  expect(refused.code).toBe(ErrorCode.ACCOUNT_LOCKED);
  expect(refused.headers['Retry-After']).toMatch(/^[1-9]\d*$/);
  return refused;
}

const retryAfter = (error: SecurityException): number => Number(error.headers['Retry-After']);

describeOnEachStore('LoginAttemptsService', (backend) => {
  let events: RecordingEventBus;

  beforeEach(() => {
    events = new RecordingEventBus();
  });

  const instance = (sessions: ApiSecurityModuleOptions['sessions'] = {}, store: SecurityStore = backend().instance()) =>
    new LoginAttemptsService(store, events, resolveApiSecurityOptions({ sessions }), backend().clock.now);

  const account = () => `${randomUUID()}@example.com`;
  const ip = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

  /** The way an application uses the service around its password check. */
  const login = async (service: LoginAttemptsService, email: string, password: string, from: string) => {
    await service.assertAllowed(email, from);
    if (password !== RIGHT_PASSWORD) {
      await service.recordFailure(email, from);
      return false;
    }
    await service.recordSuccess(email, from);
    return true;
  };

  describe('account lockout', () => {
    it('locks after sessions.maxFailures failures: 429 with Retry-After, even with the right password', async () => {
      const service = instance({ maxFailures: 3, lockoutSeconds: 600 });
      const email = account();
      const from = ip();
      for (let i = 0; i < 3; i++) await expect(login(service, email, 'wrong', from)).resolves.toBe(false);
      const refused = await refusal(login(service, email, RIGHT_PASSWORD, from));
      expect(retryAfter(refused)).toBe(600);
      expect(refused.reason).toBe('account locked');
    });

    it('allows maxFailures - 1 failures', async () => {
      const service = instance({ maxFailures: 5 });
      const email = account();
      for (let i = 0; i < 4; i++) await service.recordFailure(email, ip());
      await expect(login(service, email, RIGHT_PASSWORD, ip())).resolves.toBe(true);
    });

    it('uses the defaults: 5 failures, 900 seconds', async () => {
      const service = instance();
      const email = account();
      for (let i = 0; i < 4; i++) await service.recordFailure(email, ip());
      await expect(service.assertAllowed(email, ip())).resolves.toBeUndefined();
      await service.recordFailure(email, ip());
      expect(retryAfter(await refusal(service.assertAllowed(email, ip())))).toBe(900);
    });

    it('counts down Retry-After and, on memory where the store follows the clock, lets the account in again', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 600 });
      const email = account();
      await service.recordFailure(email, ip());
      await service.recordFailure(email, ip());
      backend().clock.advance(200 * SECOND);
      expect(retryAfter(await refusal(service.assertAllowed(email, ip())))).toBe(400);
      if (backend().kind === 'memory') {
        backend().clock.advance(400 * SECOND);
        await expect(login(service, email, RIGHT_PASSWORD, ip())).resolves.toBe(true);
      }
    });

    it('lifts the lock when the store expires it, and gives maxFailures fresh attempts', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 1 });
      const email = account();
      await service.recordFailure(email, ip());
      await service.recordFailure(email, ip());
      await refusal(service.assertAllowed(email, ip()));
      if (backend().kind === 'memory') backend().clock.advance(1001);
      else await sleep(1100);
      await expect(service.assertAllowed(email, ip())).resolves.toBeUndefined();
      await service.recordFailure(email, ip());
      await expect(service.assertAllowed(email, ip())).resolves.toBeUndefined();
      await service.recordFailure(email, ip());
      await refusal(service.assertAllowed(email, ip()));
    });

    it('resets the count on success', async () => {
      const service = instance({ maxFailures: 3 });
      const email = account();
      const from = ip();
      await login(service, email, 'wrong', from);
      await login(service, email, 'wrong', from);
      await expect(login(service, email, RIGHT_PASSWORD, from)).resolves.toBe(true);
      await login(service, email, 'wrong', from);
      await login(service, email, 'wrong', from);
      await expect(login(service, email, RIGHT_PASSWORD, from)).resolves.toBe(true);
    });

    it('counts failures from any client against the account', async () => {
      const service = instance({ maxFailures: 3 });
      const email = account();
      await service.recordFailure(email, '192.0.2.1');
      await service.recordFailure(email, '192.0.2.2');
      await service.recordFailure(email, '2001:db8::1');
      await refusal(service.assertAllowed(email, '192.0.2.99'));
    });

    it('leaves other accounts alone', async () => {
      const service = instance({ maxFailures: 2 });
      const victim = account();
      const from = ip();
      await service.recordFailure(victim, from);
      await service.recordFailure(victim, from);
      await refusal(service.assertAllowed(victim, from));
      await expect(login(service, account(), RIGHT_PASSWORD, from)).resolves.toBe(true);
    });

    it('normalises the account: case and surrounding spaces do not make a new counter', async () => {
      const service = instance({ maxFailures: 3 });
      const id = randomUUID();
      await service.recordFailure(`${id}@example.com`, ip());
      await service.recordFailure(`  ${id.toUpperCase()}@EXAMPLE.COM `, ip());
      await service.recordFailure(`${id}@Example.Com\t`, ip());
      await refusal(service.assertAllowed(`${id}@example.com`, ip()));
    });

    it('is shared by every instance (on Redis: two clients)', async () => {
      const a = instance({ maxFailures: 3 });
      const b = instance({ maxFailures: 3 });
      const email = account();
      await a.recordFailure(email, ip());
      await b.recordFailure(email, ip());
      await a.recordFailure(email, ip());
      await refusal(b.assertAllowed(email, ip()));
      await refusal(a.assertAllowed(email, ip()));
    });

    it('counts concurrent failures atomically and emits one lockout', async () => {
      const a = instance({ maxFailures: 5 });
      const b = instance({ maxFailures: 5 });
      const email = account();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).recordFailure(email, ip())));
      await refusal(a.assertAllowed(email, ip()));
      expect(events.ofType('authentication.failure')).toHaveLength(20);
      expect(events.ofType('authentication.lockout')).toHaveLength(1);
      const counts = events.ofType('authentication.failure').map((event) => Number(event.details?.accountFailures));
      expect(Math.max(...counts)).toBeGreaterThanOrEqual(5);
    });

    it('fails closed on an unreadable lock value (Retry-After falls back to lockoutSeconds)', async () => {
      const service = instance({ lockoutSeconds: 120 });
      const email = account();
      const accountHash = createHash('sha256').update(email).digest('hex');
      await backend()
        .instance()
        .set(accountLockKey(accountHash), 'garbage', 60 * SECOND);
      expect(retryAfter(await refusal(service.assertAllowed(email, ip())))).toBe(120);
    });
  });

  describe('per-client daily cap (sessions.maxFailuresPerIpPerDay)', () => {
    it('refuses a client over its cap on any account, for the rest of its 24-hour window', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 3, maxFailures: 100 });
      const from = ip();
      for (let i = 0; i < 3; i++) await login(service, account(), 'wrong', from);
      const refused = await refusal(login(service, account(), RIGHT_PASSWORD, from));
      expect(refused.reason).toBe('client over its daily failure cap');
      expect(retryAfter(refused)).toBeGreaterThan(DAY_SECONDS - 60);
      expect(retryAfter(refused)).toBeLessThanOrEqual(DAY_SECONDS);
      backend().clock.advance(3600 * SECOND);
      expect(retryAfter(await refusal(service.assertAllowed(account(), from)))).toBeLessThanOrEqual(DAY_SECONDS - 3600);
    });

    it('leaves other clients alone', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      await service.recordFailure(account(), '203.0.113.1');
      await service.recordFailure(account(), '203.0.113.1');
      await refusal(service.assertAllowed(account(), '203.0.113.1'));
      await expect(service.assertAllowed(account(), '203.0.113.2')).resolves.toBeUndefined();
    });

    it('is not reset by a successful login', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 3, maxFailures: 100 });
      const from = ip();
      const own = account();
      await login(service, account(), 'wrong', from);
      await login(service, account(), 'wrong', from);
      await expect(login(service, own, RIGHT_PASSWORD, from)).resolves.toBe(true);
      await login(service, account(), 'wrong', from);
      await refusal(service.assertAllowed(own, from));
    });

    it('counts an IPv6 client by its /64 and an IPv4-mapped address as the IPv4 address', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      await service.recordFailure(account(), '2001:db8:1:2::1');
      await service.recordFailure(account(), '2001:db8:1:2:ffff:ffff:ffff:ffff');
      await refusal(service.assertAllowed(account(), '2001:DB8:1:2::abcd'));
      await expect(service.assertAllowed(account(), '2001:db8:1:3::1')).resolves.toBeUndefined();

      await service.recordFailure(account(), '192.0.2.7');
      await service.recordFailure(account(), '::ffff:192.0.2.7');
      await refusal(service.assertAllowed(account(), '192.0.2.7'));
    });

    it('is shared by every instance', async () => {
      const a = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      const b = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      const from = ip();
      await a.recordFailure(account(), from);
      await b.recordFailure(account(), from);
      await refusal(a.assertAllowed(account(), from));
    });

    it('puts requests without an address in one shared bucket instead of skipping them', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      await service.recordFailure(account(), '');
      await service.recordFailure(account(), undefined as unknown as string);
      await refusal(service.assertAllowed(account(), ''));
    });
  });

  describe('events and privacy', () => {
    it('emits authentication.failure per failure and authentication.lockout on locking', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 60 });
      const email = account();
      await service.recordFailure(email, '192.0.2.10');
      await service.recordFailure(email, '192.0.2.10');
      expect(events.ofType('authentication.failure')).toMatchObject([
        { ip: '192.0.2.10', reason: 'bad_credentials', details: { accountFailures: 1 } },
        { ip: '192.0.2.10', reason: 'bad_credentials', details: { accountFailures: 2 } },
      ]);
      expect(events.ofType('authentication.lockout')).toMatchObject([
        { ip: '192.0.2.10', reason: 'account_failures', details: { failures: 2, lockoutSeconds: 60 } },
      ]);
    });

    it('keeps the account out of the store and the events (only its SHA-256)', async () => {
      const service = instance({ maxFailures: 2 });
      const local = `private-person-${randomUUID()}`;
      await service.recordFailure(`${local}@example.com`, '192.0.2.44');
      await service.recordFailure(`${local}@example.com`, '192.0.2.44');
      await service.assertAllowed(`${local}@example.com`, '192.0.2.44').catch(() => undefined);
      const stored = (await backend().contents()).join('\n');
      expect(stored).not.toContain(local);
      expect(stored).not.toContain('192.0.2.44');
      expect(JSON.stringify(events.events)).not.toContain(local);
    });
  });
});

describe('LoginAttemptsService arguments', () => {
  it('rejects an account that is not a string', async () => {
    const backend = memoryBackend();
    const service = new LoginAttemptsService(backend.instance(), new RecordingEventBus(), resolveApiSecurityOptions());
    await expect(service.recordFailure(42 as unknown as string, '192.0.2.1')).rejects.toThrow(TypeError);
    await backend.close();
  });
});
