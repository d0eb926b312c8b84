import type { Repository } from 'typeorm';
import type { SecurityEventEntity } from '../database/security-event.entity';
import {
  SECURITY_EVENT_BATCH_SIZE,
  SECURITY_EVENT_MAX_QUEUE,
  TypeOrmSecurityEventSink,
} from './typeorm-security-event.sink';

function fakeRepository(insert: (rows: unknown[]) => Promise<unknown>): Repository<SecurityEventEntity> {
  return { create: (row: unknown) => row, insert } as unknown as Repository<SecurityEventEntity>;
}

const event = (i: number) => ({ type: 'authentication.failure' as const, occurredAt: 1_000 + i, ip: '203.0.113.7' });

describe('TypeOrmSecurityEventSink', () => {
  it('persists a burst of 1,000 events in ceil(1000 / batch) multi-row inserts', async () => {
    const inserts: unknown[][] = [];
    const sink = new TypeOrmSecurityEventSink(fakeRepository(async (rows) => inserts.push(rows)));
    for (let i = 0; i < 1000; i++) sink.handle(event(i));
    await sink.flush();
    expect(inserts.length).toBeLessThanOrEqual(Math.ceil(1000 / SECURITY_EVENT_BATCH_SIZE));
    expect(inserts.flat()).toHaveLength(1000);
    expect(inserts.flat()[999]).toMatchObject({ type: 'authentication.failure', occurredAt: new Date(1_999) });
    await sink.beforeApplicationShutdown();
  });

  it('holds a bounded queue while the database is stuck, and counts what it drops', async () => {
    let calls = 0;
    const sink = new TypeOrmSecurityEventSink(
      fakeRepository(() => {
        calls++;
        return new Promise(() => undefined); // never answers
      }),
    );
    const burst = SECURITY_EVENT_MAX_QUEUE * 3;
    for (let i = 0; i < burst; i++) sink.handle(event(i));
    // One insert in flight, at most the queue limit waiting: the rest dropped, not buffered.
    expect(calls).toBe(1);
    expect(sink.dropped).toBe(burst - SECURITY_EVENT_MAX_QUEUE - SECURITY_EVENT_BATCH_SIZE);
  });

  it('writes what is still queued before the application shuts down', async () => {
    const inserted: unknown[] = [];
    const sink = new TypeOrmSecurityEventSink(fakeRepository(async (rows) => inserted.push(...rows)));
    for (let i = 0; i < 7; i++) sink.handle(event(i)); // a partial batch: would wait for the timer
    expect(inserted).toHaveLength(0);
    await sink.beforeApplicationShutdown();
    expect(inserted).toHaveLength(7);
    sink.handle(event(8));
    expect(sink.dropped).toBe(1);
  });
});
