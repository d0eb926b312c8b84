export { SecurityEventBus, sanitizeForLog } from './security-event.bus';
export { SECURITY_EVENT_SINKS, SECURITY_EVENT_TYPES } from './security-event';
export { eventContext } from './event-context';
export type { SecurityEvent, SecurityEventSink, SecurityEventType } from './security-event';
export { REDACTED, REDACTED_KEYS, RedactingLogger } from './redacting.logger';
export type { RedactingLoggerOptions } from './redacting.logger';
export { ThresholdAlerts } from './threshold-alerts.service';
export type { ResolvedThresholdAlertRule, ThresholdAlertRule } from './threshold-alert.options';
