import { Inject, Injectable, Logger } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { AuditPseudonymizer } from './audit-pseudonymizer.service';
import type { SecurityEvent } from './security-event';
import type { ResolvedThresholdAlertRule } from './threshold-alert.options';

/**
 * Counts events per rule and source in the shared store and raises one `alert.threshold` event when
 * a source goes over a rule's limit within its window (again in the next window if it keeps going).
 * Alerts never fail a request: a store error is logged and the event simply not counted.
 */
@Injectable()
export class ThresholdAlerts {
  private readonly logger = new Logger('SecurityAlerts');
  private readonly rules: readonly ResolvedThresholdAlertRule[];

  constructor(
    @Inject(API_SECURITY_OPTIONS) options: ResolvedApiSecurityOptions,
    @InjectSecurityStore('alerts') private readonly store: SecurityStore,
    private readonly pseudonyms: AuditPseudonymizer,
  ) {
    this.rules = options.audit.alerts;
  }

  /** Counts `event` against every matching rule; `raise` receives each alert crossing a threshold. */
  observe(event: SecurityEvent, raise: (alert: SecurityEvent) => void): void {
    if (this.rules.length === 0 || event.type === 'alert.threshold') return;
    for (const rule of this.rules) {
      if (rule.event !== event.type) continue;
      const source = rule.by === 'ip' ? event.ip : event.principalId;
      if (!source) continue;
      // Keyed hash: a store key never holds an address or id in clear (nor one a dictionary reverses), and any length fits.
      const id = this.pseudonyms.subject(rule.by, source);
      const key = `alert:{${rule.by}:${id}}:${rule.event}:${rule.limit}/${rule.windowSeconds}`;
      this.store.increment(key, rule.windowSeconds * 1000).then(
        ({ value }) => {
          if (value !== rule.limit + 1) return;
          raise({
            type: 'alert.threshold',
            reason: `${rule.event} by ${rule.by}`,
            ...(event.ip ? { ip: event.ip } : {}),
            ...(event.principalId ? { principalId: event.principalId } : {}),
            ...(event.route ? { route: event.route } : {}),
            ...(event.requestId ? { requestId: event.requestId } : {}),
            details: { event: rule.event, by: rule.by, limit: rule.limit, windowSeconds: rule.windowSeconds },
          });
        },
        (error: unknown) => this.logger.warn(`Could not count ${rule.event} for alerts: ${(error as Error).message}`),
      );
    }
  }
}
