import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ApiQuery } from '@nestjs/swagger';
import {
  ErrorCode,
  pagination,
  Roles,
  SECURITY_EVENT_TYPES,
  SecurityException,
  type SecurityEventType,
} from '@api-security/nestjs';
import { ApiPagination } from '@api-security/nestjs/swagger';
import { Repository } from 'typeorm';
import { SecurityEventEntity } from '../database/security-event.entity';
import { TypeOrmSecurityEventSink } from './typeorm-security-event.sink';

export interface SecurityEventView {
  id: string;
  type: string;
  occurredAt: string;
  requestId: string | null;
  principalId: string | null;
  ip: string | null;
  route: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
}

/** `?type=`: absent or empty lists every type; anything but one known type name is a 400. */
function eventType(value: unknown): SecurityEventType | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (SECURITY_EVENT_TYPES as readonly string[]).includes(value)) {
    return value as SecurityEventType;
  }
  throw new SecurityException(400, ErrorCode.VALIDATION, {
    errors: [{ field: 'type', message: `type must be one of ${SECURITY_EVENT_TYPES.join(', ')}.` }],
  });
}

/** Recent security events, newest first. Events never hold secrets, so they are shown as stored. */
@Controller({ path: 'admin/security-events', version: '1' })
export class SecurityEventsController {
  constructor(
    @InjectRepository(SecurityEventEntity) private readonly events: Repository<SecurityEventEntity>,
    private readonly sink: TypeOrmSecurityEventSink,
  ) {}

  @Get()
  @ApiPagination()
  @ApiQuery({ name: 'type', required: false, enum: SECURITY_EVENT_TYPES, description: 'Only events of this type.' })
  @Roles('admin')
  async list(
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
    @Query('type') type?: string,
  ): Promise<{ items: SecurityEventView[]; total: number; limit: number; offset: number }> {
    const page = pagination(limit, offset);
    const only = eventType(type);
    // This instance's queued events first, so what an admin just caused is listed (others' within a second).
    await this.sink.flush();
    const [rows, total] = await this.events.findAndCount({
      ...(only ? { where: { type: only } } : {}),
      order: { occurredAt: 'DESC' },
      take: page.take,
      skip: page.skip,
    });
    const items = rows.map((e) => ({
      id: e.id,
      type: e.type,
      occurredAt: e.occurredAt.toISOString(),
      requestId: e.requestId,
      principalId: e.principalId,
      ip: e.ip,
      route: e.route,
      reason: e.reason,
      details: e.details,
    }));
    return { items, total, limit: page.take, offset: page.skip };
  }
}
