import { resolveApiSecurityOptions, type AuditOptions } from '../api-security.options';
import { AuditPseudonymizer } from './audit-pseudonymizer.service';
import { MemorySecurityStore } from '../store/memory.store';
import type { SecurityStore } from '../store/security-store';
import { SecurityEventBus } from './security-event.bus';
import type { SecurityEvent } from './security-event';
import { resolveThresholdAlerts, type ThresholdAlertRule } from './threshold-alert.options';
import { ThresholdAlerts } from './threshold-alerts.service';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function busWith(
  rules: ThresholdAlertRule[],
  store: SecurityStore = new MemorySecurityStore(),
  audit: AuditOptions = { accountHashKey: 'threshold alerts spec key, 32+ bytes' },
) {
  const options = resolveApiSecurityOptions({ audit: { ...audit, alerts: rules } });
  const seen: SecurityEvent[] = [];
  const sink = { handle: (event: SecurityEvent) => void seen.push(event) };
  const service = new ThresholdAlerts(options, store, new AuditPseudonymizer(options));
  return { bus: new SecurityEventBus([sink], service, options), seen };
}

const failure = (ip: string): SecurityEvent => ({ type: 'authentication.failure', ip, reason: 'bad_password' });

describe('ThresholdAlerts', () => {
  it('raises one alert when an IP goes over the limit within the window, and none for another IP', async () => {
    const { bus, seen } = busWith([{ event: 'authentication.failure', by: 'ip', limit: '3/60s' }]);
    for (let i = 0; i < 6; i++) bus.emit(failure('203.0.113.9'));
    for (let i = 0; i < 3; i++) bus.emit(failure('198.51.100.1'));
    await flush();
    const alerts = seen.filter((event) => event.type === 'alert.threshold');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      ip: '203.0.113.9',
      reason: 'authentication.failure by ip',
      details: { event: 'authentication.failure', by: 'ip', limit: 3, windowSeconds: 60 },
    });
  });

  it('counts per principal, and ignores other event types and events without the source', async () => {
    const { bus, seen } = busWith([{ event: 'access.denied', by: 'principal', limit: '1/60s' }]);
    bus.emit({ type: 'access.denied', reason: 'role' });
    bus.emit({ type: 'authentication.failure', principalId: 'u1' });
    bus.emit({ type: 'access.denied', principalId: 'u1', reason: 'role' });
    await flush();
    expect(seen.filter((event) => event.type === 'alert.threshold')).toHaveLength(0);
    bus.emit({ type: 'access.denied', principalId: 'u1', reason: 'ownership' });
    await flush();
    expect(seen.filter((event) => event.type === 'alert.threshold')).toEqual([
      expect.objectContaining({ principalId: 'u1', reason: 'access.denied by principal' }),
    ]);
  });

  it('never fails the emitter when the store is down', async () => {
    const down = { increment: () => Promise.reject(new Error('store down')) } as unknown as SecurityStore;
    const { bus, seen } = busWith([{ event: 'authentication.failure', by: 'ip', limit: '1/60s' }], down);
    expect(() => bus.emit(failure('203.0.113.9'))).not.toThrow();
    await flush();
    expect(seen.map((event) => event.type)).toEqual(['authentication.failure']);
  });
});

describe('resolveThresholdAlerts', () => {
  it('names every bad rule by index', () => {
    const problems: string[] = [];
    resolveThresholdAlerts(
      [
        { event: 'login.failed', by: 'ip', limit: '5/60s' },
        { event: 'authentication.failure', by: 'country', limit: '5/60s' },
        { event: 'authentication.failure', by: 'ip', limit: 'often' },
      ],
      problems,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^audit\.alerts\[0\]\.event must be one of/),
      expect.stringMatching(/^audit\.alerts\[1\]\.by must be 'ip' or 'principal'/),
      expect.stringMatching(/^audit\.alerts\[2\]\.limit "often" is not a rate/),
    ]);
  });

  it('refuses a non-array', () => {
    const problems: string[] = [];
    resolveThresholdAlerts({ event: 'x' }, problems);
    expect(problems).toEqual([expect.stringMatching(/audit\.alerts must be an array/)]);
  });

  it('counts by the whole address while sinks only see it truncated under audit.ipTruncation', async () => {
    const { bus, seen } = busWith([{ event: 'authentication.failure', by: 'ip', limit: '3/60s' }], undefined, {
      accountHashKey: 'threshold alerts spec key, 32+ bytes',
      ipTruncation: { v4: 24, v6: 48 },
    });
    // Two clients in one /24: neither crosses the limit alone.
    for (let i = 0; i < 3; i++) bus.emit(failure('203.0.113.9'));
    for (let i = 0; i < 3; i++) bus.emit(failure('203.0.113.10'));
    bus.emit(failure('2001:db8:abcd:12::1'));
    bus.emit(failure('not-an-address'));
    await flush();
    expect(seen.filter((event) => event.type === 'alert.threshold')).toEqual([]);
    expect(seen.map((event) => event.ip)).toEqual([
      ...Array<string>(6).fill('203.0.113.0/24'),
      '2001:db8:abcd::/48',
      undefined,
    ]);
    expect(JSON.stringify(seen)).not.toMatch(/203\.0\.113\.(9|10)\b|not-an-address/);

    for (let i = 0; i < 2; i++) bus.emit(failure('203.0.113.9'));
    await flush();
    const alerts = seen.filter((event) => event.type === 'alert.threshold');
    expect(alerts).toEqual([expect.objectContaining({ ip: '203.0.113.0/24' })]);
  });
});
