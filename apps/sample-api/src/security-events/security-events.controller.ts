import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { pagination, Roles } from '@api-security/nestjs';
import { ApiPagination } from '@api-security/nestjs/swagger';
import { Repository } from 'typeorm';
import { SecurityEventEntity } from '../database/security-event.entity';

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

/** Recent security events, newest first. Events never hold secrets, so they are shown as stored. */
@Controller({ path: 'admin/security-events', version: '1' })
export class SecurityEventsController {
  constructor(@InjectRepository(SecurityEventEntity) private readonly events: Repository<SecurityEventEntity>) {}

  @Get()
  @ApiPagination()
  @Roles('admin')
  async list(
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ): Promise<{ items: SecurityEventView[]; total: number; limit: number; offset: number }> {
    const page = pagination(limit, offset);
    const [rows, total] = await this.events.findAndCount({
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
