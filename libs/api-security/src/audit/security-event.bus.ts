import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
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
 */
@Injectable()
export class SecurityEventBus {
  private readonly logger = new Logger('SecurityEvent');

  /** @internal Created by the module's dependency injection; inject it, do not construct it. */
  constructor(
    @Optional() @Inject(SECURITY_EVENT_SINKS) private readonly sinks: readonly SecurityEventSink[] = [],
    @Optional() private readonly alerts?: ThresholdAlerts,
  ) {}

  emit(event: SecurityEvent): void {
    const full = { ...event, occurredAt: event.occurredAt ?? Date.now() };
    this.logger.log(sanitizeForLog(JSON.stringify(full)));
    for (const sink of this.sinks ?? []) {
      try {
        const result = sink.handle(full);
        if (result instanceof Promise) result.catch((error: unknown) => this.sinkFailed(error));
      } catch (error) {
        this.sinkFailed(error);
      }
    }
    this.alerts?.observe(full, (alert) => this.emit(alert));
  }

  private sinkFailed(error: unknown): void {
    this.logger.error(`A security event sink failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
