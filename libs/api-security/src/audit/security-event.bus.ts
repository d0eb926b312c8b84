import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import type { IpTruncation } from './audit-privacy.options';
import { truncateIp } from './ip-truncation';
import { SECURITY_EVENT_SINKS, type SecurityEvent, type SecurityEventSink } from './security-event';
import { ThresholdAlerts } from './threshold-alerts.service';

/** Neutralises CR, LF and other control characters so a value can never forge a log line. */
export function sanitizeForLog(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Where every step of the pipeline reports what it allowed or refused. Logs each event (one line,
 * control characters neutralised) and hands it to the registered sinks without waiting for them.
 * The client address is cut to its network first under `audit.ipTruncation` (log and sinks alike);
 * threshold alerts still count by the whole address, as a keyed hash.
 */
@Injectable()
export class SecurityEventBus {
  private readonly logger = new Logger('SecurityEvent');
  private readonly ipTruncation: Readonly<Required<IpTruncation>> | 'none';
  private readonly now: SecurityClock;

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Optional() @Inject(SECURITY_EVENT_SINKS) private readonly sinks: readonly SecurityEventSink[] = [],
    @Optional() private readonly alerts?: ThresholdAlerts,
    @Optional() @Inject(API_SECURITY_OPTIONS) options?: ResolvedApiSecurityOptions,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.ipTruncation = options?.audit.ipTruncation ?? 'none';
    this.now = clock ?? systemClock;
  }

  emit(event: SecurityEvent): void {
    const full = { ...event, occurredAt: event.occurredAt ?? this.now() };
    const recorded = this.recorded(full);
    this.logger.log(sanitizeForLog(JSON.stringify(recorded)));
    for (const sink of this.sinks ?? []) {
      try {
        const result = sink.handle(recorded);
        if (result instanceof Promise) result.catch((error: unknown) => this.sinkFailed(error));
      } catch (error) {
        this.sinkFailed(error);
      }
    }
    this.alerts?.observe(full, (alert) => this.emit(alert));
  }

  /** The event as it may be kept: the address truncated, or left out when it cannot be. */
  private recorded<T extends SecurityEvent>(event: T): T {
    if (this.ipTruncation === 'none' || event.ip === undefined) return event;
    const { ip, ...rest } = event;
    const kept = truncateIp(ip, this.ipTruncation);
    return (kept === undefined ? rest : { ...rest, ip: kept }) as T;
  }

  private sinkFailed(error: unknown): void {
    this.logger.error(`A security event sink failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
