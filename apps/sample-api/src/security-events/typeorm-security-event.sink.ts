import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { BatchingEventWriter, type SecurityEvent, type SecurityEventSink } from '@api-security/nestjs';
import { randomUUID } from 'node:crypto';
import { type QueryDeepPartialEntity, Repository } from 'typeorm';
import { SecurityEventEntity } from '../database/security-event.entity';

const clip = (value: string | undefined, max: number): string | null =>
  value === undefined ? null : value.slice(0, max);

/** Rows per INSERT: 100 rows × 9 columns stays under SQLite's oldest 999-parameter limit. */
export const SECURITY_EVENT_BATCH_SIZE = 100;
/** Events waiting for the database, at most; more are dropped and counted (an attack must not exhaust memory). */
export const SECURITY_EVENT_MAX_QUEUE = 10_000;

type Persisted = SecurityEvent & { occurredAt: number };

/**
 * Persists security events for the admin endpoint. Never blocks or fails the request that caused one:
 * events go through a bounded {@link BatchingEventWriter}, so a burst of N events costs
 * ceil(N / 100) multi-row INSERTs on one connection at a time, and past 10,000 waiting events new
 * ones are dropped (counted, with one warning per flood) instead of growing memory or the pool.
 */
@Injectable()
export class TypeOrmSecurityEventSink implements SecurityEventSink, BeforeApplicationShutdown {
  private readonly logger = new Logger('SecurityEventSink');
  private readonly writer: BatchingEventWriter<Persisted>;

  constructor(@InjectRepository(SecurityEventEntity) private readonly events: Repository<SecurityEventEntity>) {
    this.writer = new BatchingEventWriter<Persisted>({
      batchSize: SECURITY_EVENT_BATCH_SIZE,
      maxQueue: SECURITY_EVENT_MAX_QUEUE,
      write: (batch) => this.insert(batch),
      onError: (error, batch) =>
        this.logger.error(
          `Could not persist ${batch.length} security event(s): ${error instanceof Error ? error.message : 'unknown'}`,
        ),
      onOverflow: () =>
        this.logger.warn(
          `Security events arrive faster than the database takes them: dropping new ones past ${SECURITY_EVENT_MAX_QUEUE} waiting (${this.writer.dropped} dropped so far).`,
        ),
    });
  }

  handle(event: Persisted): void {
    this.writer.push(event);
  }

  /** Events dropped because the queue was full (or arrived after shutdown began). */
  get dropped(): number {
    return this.writer.dropped;
  }

  /** Resolves once every event handed over so far is in the database (or its insert failed). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Before, not on, application shutdown: TypeORM closes its connection in `onApplicationShutdown`,
   * and every `beforeApplicationShutdown` hook runs before any of those.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.close();
    if (this.writer.dropped > 0) this.logger.warn(`${this.writer.dropped} security event(s) were dropped.`);
  }

  private async insert(batch: readonly Persisted[]): Promise<void> {
    // One multi-row INSERT; ids are set here because a query-builder insert runs no entity listener.
    const rows = batch.map((event) =>
      this.events.create({
        id: randomUUID(),
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
    // TypeORM's deep-partial type cannot express a Record column; the rows are whole entities.
    await this.events.insert(rows as QueryDeepPartialEntity<SecurityEventEntity>[]);
  }
}
