import type { INestApplication } from '@nestjs/common';
import { SecurityEventBus, type SecurityEvent } from '@api-security/nestjs';

/** Hands every security event the app emits to `record` (events are still logged as usual). */
export function onSecurityEvent(app: INestApplication, record: (event: SecurityEvent) => void): void {
  const bus = app.get(SecurityEventBus);
  const emit = bus.emit.bind(bus);
  jest.spyOn(bus, 'emit').mockImplementation((event) => {
    record(event);
    emit(event);
  });
}
