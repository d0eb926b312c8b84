import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { SecurityEvent, SecurityEventSink } from '@api-security/nestjs';
import { Repository } from 'typeorm';
import { SecurityEventEntity } from '../database/security-event.entity';

const clip = (value: string | undefined, max: number): string | null =>
  value === undefined ? null : value.slice(0, max);

/** Persists security events for the admin endpoint. Never blocks or fails the request that caused one. */
@Injectable()
export class TypeOrmSecurityEventSink implements SecurityEventSink {
  private readonly logger = new Logger('SecurityEventSink');

  constructor(@InjectRepository(SecurityEventEntity) private readonly events: Repository<SecurityEventEntity>) {}

  async handle(event: SecurityEvent & { occurredAt: number }): Promise<void> {
    try {
      await this.events.save(
        this.events.create({
          type: event.type,
          occurredAt: new Date(event.occurredAt),
          requestId: clip(event.requestId, 128),
          principalId: clip(event.principalId, 64),
          ip: clip(event.ip, 64),
          route: clip(event.route, 512),
          reason: clip(event.reason, 512),
          details: event.details ? { ...event.details } : null,
        }),
      );
    } catch (error) {
      this.logger.error(`Could not persist a security event: ${error instanceof Error ? error.message : 'unknown'}`);
    }
  }
}
