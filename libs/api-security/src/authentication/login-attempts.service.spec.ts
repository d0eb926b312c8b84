import { createHash, randomUUID } from 'node:crypto';
import { resolveApiSecurityOptions, type ApiSecurityModuleOptions } from '../api-security.options';
import { AuditPseudonymizer } from '../audit/audit-pseudonymizer.service';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { SecurityStore } from '../store/security-store';
import { accountLockKey } from './login-attempts.keys';
import { LoginAttemptsService } from './login-attempts.service';
import { describeOnEachStore, memoryBackend, RecordingEventBus } from '../../spec-support/session-stores';

/** The service as the module builds it: the pseudonymizer from the same options. */
function withOptions(
  store: SecurityStore,
  events: RecordingEventBus,
  options: ReturnType<typeof resolveApiSecurityOptions>,
  clock?: () => number,
): LoginAttemptsService {
  return new LoginAttemptsService(store, events, options, new AuditPseudonymizer(options), clock);
}

const SECOND = 1000;
const DAY_SECONDS = 86_400;
const RIGHT_PASSWORD = 'correct horse battery staple';
/** Every instance of one deployment shares the pseudonym key, as `audit.accountHashKey` requires. */
const AUDIT = { accountHashKey: 'login-attempts spec key, 32 bytes or more' };
const pseudonyms = new AuditPseudonymizer(resolveApiSecurityOptions({ audit: AUDIT }));
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
    withOptions(store, events, resolveApiSecurityOptions({ sessions, audit: AUDIT }), backend().clock.now);

  const account = () => `${randomUUID()}@example.com`;
  const ip = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

  /** The way an application uses the service around its password check. */
  const login = async (service: LoginAttemptsService, email: string, password: string, from: string) =>
    (await service.attempt(email, from, async () => password === RIGHT_PASSWORD && { principalId: 'p-1' })) !== false;

  /** One wrong password. */
  const fail = (service: LoginAttemptsService, email: string, from: string) => login(service, email, 'wrong', from);

  /** Resolves when an attempt would be let through, without counting anything (the check throws). */
  const allowed = async (service: LoginAttemptsService, email: string, from: string): Promise<void> => {
    const probe = new Error('probe');
    await expect(
      service.attempt(email, from, async () => {
        throw probe;
      }),
    ).rejects.toBe(probe);
  };

  /** The attempt the service refuses before checking anything. */
  const refused = (service: LoginAttemptsService, email: string, from: string) =>
    refusal(
      service.attempt(email, from, async () => {
        throw new Error('the check ran although the attempt should have been refused');
      }),
    );

  describe('account lockout', () => {
    it('locks after sessions.maxFailures failures: 429 with Retry-After, even with the right password', async () => {
      const service = instance({ maxFailures: 3, lockoutSeconds: 600 });
      const email = account();
      const from = ip();
      for (let i = 0; i < 3; i++) await expect(login(service, email, 'wrong', from)).resolves.toBe(false);
      const locked = await refusal(login(service, email, RIGHT_PASSWORD, from));
      expect(retryAfter(locked)).toBe(600);
      expect(locked.reason).toBe('account locked');
    });

    it('allows maxFailures - 1 failures', async () => {
      const service = instance({ maxFailures: 5 });
      const email = account();
      for (let i = 0; i < 4; i++) await fail(service, email, ip());
      await expect(login(service, email, RIGHT_PASSWORD, ip())).resolves.toBe(true);
    });

    it('uses the defaults: 5 failures, 900 seconds', async () => {
      const service = instance();
      const email = account();
      for (let i = 0; i < 4; i++) await fail(service, email, ip());
      await allowed(service, email, ip());
      await fail(service, email, ip());
      expect(retryAfter(await refused(service, email, ip()))).toBe(900);
    });

    it('counts down Retry-After and, on memory where the store follows the clock, lets the account in again', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 600 });
      const email = account();
      await fail(service, email, ip());
      await fail(service, email, ip());
      backend().clock.advance(200 * SECOND);
      expect(retryAfter(await refused(service, email, ip()))).toBe(400);
      if (backend().kind === 'memory') {
        backend().clock.advance(400 * SECOND);
        await expect(login(service, email, RIGHT_PASSWORD, ip())).resolves.toBe(true);
      }
    });

    it('lifts the lock when the store expires it, and gives maxFailures fresh attempts', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 1 });
      const email = account();
      await fail(service, email, ip());
      await fail(service, email, ip());
      await refused(service, email, ip());
      if (backend().kind === 'memory') backend().clock.advance(1001);
      else await sleep(1100);
      await allowed(service, email, ip());
      await fail(service, email, ip());
      await allowed(service, email, ip());
      await fail(service, email, ip());
      await refused(service, email, ip());
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
      await fail(service, email, '192.0.2.1');
      await fail(service, email, '192.0.2.2');
      await fail(service, email, '2001:db8::1');
      await refused(service, email, '192.0.2.99');
    });

    it('leaves other accounts alone', async () => {
      const service = instance({ maxFailures: 2 });
      const victim = account();
      const from = ip();
      await fail(service, victim, from);
      await fail(service, victim, from);
      await refused(service, victim, from);
      await expect(login(service, account(), RIGHT_PASSWORD, from)).resolves.toBe(true);
    });

    it('normalises the account: case and surrounding spaces do not make a new counter', async () => {
      const service = instance({ maxFailures: 3 });
      const id = randomUUID();
      await fail(service, `${id}@example.com`, ip());
      await fail(service, `  ${id.toUpperCase()}@EXAMPLE.COM `, ip());
      await fail(service, `${id}@Example.Com\t`, ip());
      await refused(service, `${id}@example.com`, ip());
    });

    it('is shared by every instance (on Redis: two clients)', async () => {
      const a = instance({ maxFailures: 3 });
      const b = instance({ maxFailures: 3 });
      const email = account();
      await fail(a, email, ip());
      await fail(b, email, ip());
      await fail(a, email, ip());
      await refused(b, email, ip());
      await refused(a, email, ip());
    });

    it('counts 30 concurrent failures atomically: 5 are checked, one lockout, 25 refused', async () => {
      const a = instance({ maxFailures: 5 });
      const b = instance({ maxFailures: 5 });
      const email = account();
      const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => fail(i % 2 ? a : b, email, ip())));
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(25);
      await refused(a, email, ip());
      expect(events.ofType('authentication.failure')).toHaveLength(5);
      expect(events.ofType('authentication.lockout')).toHaveLength(1);
      const counts = events.ofType('authentication.failure').map((event) => Number(event.details?.accountFailures));
      expect(counts.sort()).toEqual([1, 2, 3, 4, 5]);
    });

    it('fails closed on an unreadable lock value (Retry-After falls back to lockoutSeconds)', async () => {
      const service = instance({ lockoutSeconds: 120 });
      const email = account();
      const accountHash = pseudonyms.account(email);
      await backend()
        .instance()
        .set(accountLockKey(accountHash), 'garbage', 60 * SECOND);
      expect(retryAfter(await refused(service, email, ip()))).toBe(120);
    });
  });

  describe('account pseudonyms', () => {
    it('identifies the account in events and store keys by an HMAC under the server key, never a bare SHA-256', async () => {
      const service = instance();
      const email = `Someone.${randomUUID()}@Example.com`;
      await fail(service, ` ${email} `, ip());
      await login(service, email, RIGHT_PASSWORD, ip());
      const normalized = email.toLowerCase();
      const expected = pseudonyms.account(email);
      expect(events.events.map((event) => event.details?.accountHash)).toEqual([expected, expected]);
      const recorded = JSON.stringify(events.events);
      for (const form of [email, normalized]) {
        expect(recorded).not.toContain(form);
        expect(recorded).not.toContain(createHash('sha256').update(form).digest('hex'));
      }
    });

    it('gives the same account another pseudonym under another key', async () => {
      const email = account();
      const other = new RecordingEventBus();
      const elsewhere = withOptions(
        backend().instance(),
        other,
        resolveApiSecurityOptions({ audit: { accountHashKey: 'a different deployment, 32+ bytes long' } }),
        backend().clock.now,
      );
      await fail(instance(), email, ip());
      await fail(elsewhere, email, ip());
      const [here] = events.ofType('authentication.failure');
      const [there] = other.ofType('authentication.failure');
      expect(here.details?.accountHash).toMatch(/^[0-9a-f]{64}$/);
      expect(there.details?.accountHash).toMatch(/^[0-9a-f]{64}$/);
      expect(here.details?.accountHash).not.toBe(there.details?.accountHash);
    });
  });

  describe('bursts: the attempt is reserved before the password is checked', () => {
    /** A password check that takes a while, as argon2 does, and records what it was asked. */
    const slowCheck = (checked: string[], password: string) => async () => {
      checked.push(password);
      await sleep(20);
      return password === RIGHT_PASSWORD && { principalId: 'p-1' };
    };

    it('checks at most maxFailures of 60 concurrent attempts (two instances); the rest, right password included, get 429', async () => {
      const a = instance({ maxFailures: 5, lockoutSeconds: 600 });
      const b = instance({ maxFailures: 5, lockoutSeconds: 600 });
      const email = account();
      const from = ip();
      const checked: string[] = [];
      const passwords = Array.from({ length: 60 }, (_, i) => (i === 44 ? RIGHT_PASSWORD : `wrong ${i}`));
      const results = await Promise.allSettled(
        passwords.map((password, i) => (i % 2 ? b : a).attempt(email, from, slowCheck(checked, password))),
      );
      expect(checked.length).toBeLessThanOrEqual(5);
      expect(checked).not.toContain(RIGHT_PASSWORD);
      expect(results.filter((r) => r.status === 'fulfilled' && r.value === false)).toHaveLength(checked.length);
      const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refusals).toHaveLength(60 - checked.length);
      for (const { reason } of refusals) {
        expect(reason).toBeInstanceOf(SecurityException);
        expect((reason as SecurityException).getStatus()).toBe(429);
      }
      expect(results[44].status).toBe('rejected');
      // The burst locked the account: the right password alone is refused too, until the lockout ends.
      expect(retryAfter(await refusal(login(a, email, RIGHT_PASSWORD, from)))).toBeGreaterThan(590);
      expect(events.ofType('authentication.lockout')).toHaveLength(1);
      expect(events.ofType('authentication.failure')).toHaveLength(checked.length);
    });

    it('carries the count over from one burst of 30 to the next: maxFailures checks in all', async () => {
      const service = instance({ maxFailures: 4 });
      const email = account();
      const checked: string[] = [];
      for (let wave = 0; wave < 2; wave++) {
        await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) => service.attempt(email, ip(), slowCheck(checked, `w${wave}-${i}`))),
        );
      }
      expect(checked).toHaveLength(4);
    });

    it('caps one client at maxFailuresPerIpPerDay failures over 40 concurrent attempts on different accounts', async () => {
      const a = instance({ maxFailuresPerIpPerDay: 10, maxFailures: 100 });
      const b = instance({ maxFailuresPerIpPerDay: 10, maxFailures: 100 });
      const from = ip();
      const checked: string[] = [];
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).attempt(account(), from, slowCheck(checked, `w${i}`))),
      );
      expect(checked).toHaveLength(10);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(30);
      expect((await refused(a, account(), from)).reason).toBe('client over its daily failure cap');
      expect(events.ofType('authentication.lockout')).toMatchObject([{ reason: 'client_daily_cap' }]);
    });

    it('gives the reservation back when the check throws: an outage is not a failure', async () => {
      const service = instance({ maxFailures: 2, maxFailuresPerIpPerDay: 2 });
      const email = account();
      const from = ip();
      const outage = new Error('user database unavailable');
      for (let i = 0; i < 5; i++) {
        await expect(
          service.attempt(email, from, async () => {
            throw outage;
          }),
        ).rejects.toBe(outage);
      }
      expect(events.ofType('authentication.failure')).toHaveLength(0);
      await fail(service, email, from);
      await expect(login(service, email, RIGHT_PASSWORD, from)).resolves.toBe(true);
    });

    it('refuses, while maxFailures attempts are in flight, every further one, and lets them in again when a success resets the count', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 600 });
      const email = account();
      const from = ip();
      let finish: (answer: false | { principalId: string }) => void = () => undefined;
      await fail(service, email, from);
      const slow = service.attempt(
        email,
        from,
        () => new Promise<false | { principalId: string }>((resolve) => (finish = resolve)),
      );
      await sleep(50);
      const busy = await refused(service, email, from);
      expect(busy.reason).toBe('account failure budget in use');
      expect(retryAfter(busy)).toBe(600);
      finish({ principalId: 'p-1' });
      await expect(slow).resolves.toEqual({ principalId: 'p-1' });
      await allowed(service, email, from);
    });

    it('gives a success its client unit back: only failures count against the daily cap', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      const from = ip();
      for (let i = 0; i < 5; i++) await expect(login(service, account(), RIGHT_PASSWORD, from)).resolves.toBe(true);
      await fail(service, account(), from);
      await allowed(service, account(), from);
    });
  });

  describe('per-client daily cap (sessions.maxFailuresPerIpPerDay)', () => {
    it('refuses a client over its cap on any account, for the rest of its 24-hour window', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 3, maxFailures: 100 });
      const from = ip();
      for (let i = 0; i < 3; i++) await login(service, account(), 'wrong', from);
      const capped = await refusal(login(service, account(), RIGHT_PASSWORD, from));
      expect(capped.reason).toBe('client over its daily failure cap');
      expect(retryAfter(capped)).toBeGreaterThan(DAY_SECONDS - 60);
      expect(retryAfter(capped)).toBeLessThanOrEqual(DAY_SECONDS);
      if (backend().kind === 'memory') {
        // The window is the store's own: on memory it follows the clock, on Redis real time.
        backend().clock.advance(3600 * SECOND);
        expect(retryAfter(await refused(service, account(), from))).toBeLessThanOrEqual(DAY_SECONDS - 3600);
      }
    });

    it('leaves other clients alone', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      await fail(service, account(), '203.0.113.1');
      await fail(service, account(), '203.0.113.1');
      await refused(service, account(), '203.0.113.1');
      await allowed(service, account(), '203.0.113.2');
    });

    it('is not reset by a successful login', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 3, maxFailures: 100 });
      const from = ip();
      const own = account();
      await login(service, account(), 'wrong', from);
      await login(service, account(), 'wrong', from);
      await expect(login(service, own, RIGHT_PASSWORD, from)).resolves.toBe(true);
      await login(service, account(), 'wrong', from);
      await refused(service, own, from);
    });

    it('counts an IPv6 client by its /64 and an IPv4-mapped address as the IPv4 address', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      await fail(service, account(), '2001:db8:1:2::1');
      await fail(service, account(), '2001:db8:1:2:ffff:ffff:ffff:ffff');
      await refused(service, account(), '2001:DB8:1:2::abcd');
      await allowed(service, account(), '2001:db8:1:3::1');

      await fail(service, account(), '192.0.2.7');
      await fail(service, account(), '::ffff:192.0.2.7');
      await refused(service, account(), '192.0.2.7');
    });

    it('is shared by every instance', async () => {
      const a = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      const b = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      const from = ip();
      await fail(a, account(), from);
      await fail(b, account(), from);
      await refused(a, account(), from);
    });

    it('puts requests without an address in one shared bucket instead of skipping them', async () => {
      const service = instance({ maxFailuresPerIpPerDay: 2, maxFailures: 100 });
      await fail(service, account(), '');
      await fail(service, account(), undefined as unknown as string);
      await refused(service, account(), '');
    });
  });

  describe('events and privacy', () => {
    it('emits authentication.failure per failure and authentication.lockout on locking', async () => {
      const service = instance({ maxFailures: 2, lockoutSeconds: 60 });
      const email = account();
      await fail(service, email, '192.0.2.10');
      await fail(service, email, '192.0.2.10');
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
      await fail(service, `${local}@example.com`, '192.0.2.44');
      await fail(service, `${local}@example.com`, '192.0.2.44');
      await login(service, `${local}@example.com`, RIGHT_PASSWORD, '192.0.2.44').catch(() => undefined);
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
    const service = withOptions(
      backend.instance(),
      new RecordingEventBus(),
      resolveApiSecurityOptions({ audit: AUDIT }),
    );
    await expect(service.attempt(42 as unknown as string, '192.0.2.1', async () => false)).rejects.toThrow(TypeError);
    await backend.close();
  });
});
