/** Options of {@link BatchingEventWriter}. */
export interface BatchingEventWriterOptions<T> {
  /**
   * Persists one batch (one multi-row insert, one bulk request). Called with at most `batchSize`
   * items, never twice at the same time, so a sink holds at most one database connection however
   * fast events arrive. A rejection loses that batch (counted in `failed`); it is not retried, so a
   * failing backend cannot make the queue grow.
   */
  write: (batch: readonly T[]) => Promise<void>;
  /**
   * Items per `write` call.
   * @default 100
   */
  batchSize?: number;
  /**
   * Items waiting to be written, at most; a `push` beyond it is refused and counted in `dropped`.
   * Memory held is bounded by `maxQueue` waiting items plus one batch being written.
   * @default 10000
   */
  maxQueue?: number;
  /**
   * How long a partial batch may wait for more items before it is written anyway, in ms.
   * @default 1000
   */
  flushIntervalMs?: number;
  /** Told about each failed `write` (the items are already counted in `failed`). */
  onError?: (error: unknown, batch: readonly T[]) => void;
  /**
   * Told once when the queue starts refusing items, and again only after it had room again, so a
   * flood produces one notice per episode, not one per dropped item.
   */
  onOverflow?: () => void;
}

/**
 * A bounded, batching queue in front of a slow writer (a database, a log shipper): the piece a
 * {@link SecurityEventSink} needs so that an attack burst — thousands of failed logins a second —
 * neither grows memory without bound nor opens one insert (and one pooled connection) per event.
 *
 * - `push` never blocks and never throws: it queues the item, or refuses it when `maxQueue` items
 *   are waiting (or the writer is closed) and counts it in `dropped`.
 * - Full batches are written as soon as they fill; a partial batch after `flushIntervalMs`, on
 *   `flush()` or on `close()`. One `write` at a time: a burst of N items costs ceil(N / batchSize)
 *   writes.
 * - `flush()` resolves once everything pushed before it is written (or failed): tests and admin
 *   views await it instead of sleeping. `close()` flushes and refuses later items; call it from
 *   `beforeApplicationShutdown` (while the database is still open) so nothing queued is lost.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class DatabaseEventSink implements SecurityEventSink, BeforeApplicationShutdown {
 *   private readonly writer = new BatchingEventWriter<SecurityEvent>({ write: (batch) => this.repo.insert(rows(batch)).then(() => undefined) });
 *   handle(event: SecurityEvent): void { this.writer.push(event); }
 *   beforeApplicationShutdown(): Promise<void> { return this.writer.close(); }
 * }
 * ```
 */
export class BatchingEventWriter<T> {
  private readonly write: (batch: readonly T[]) => Promise<void>;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly flushIntervalMs: number;
  private readonly onError?: (error: unknown, batch: readonly T[]) => void;
  private readonly onOverflow?: () => void;
  private readonly queue: T[] = [];
  private running: Promise<void> = Promise.resolve();
  private looping = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private overflowing = false;
  /** Items accepted so far; `taken` of them have left the queue, `settled` of those are written or failed. */
  private accepted = 0;
  private taken = 0;
  private settled = 0;
  /** Items up to this sequence number must be written even if their batch is partial. */
  private flushTarget = 0;
  private droppedCount = 0;
  private failedCount = 0;
  private writtenCount = 0;

  constructor(options: BatchingEventWriterOptions<T>) {
    if (typeof options?.write !== 'function') throw new TypeError('BatchingEventWriter: write must be a function.');
    this.write = options.write;
    this.batchSize = options.batchSize ?? 100;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError('BatchingEventWriter: batchSize must be a positive whole number.');
    }
    if (!Number.isSafeInteger(this.maxQueue) || this.maxQueue < this.batchSize) {
      throw new RangeError('BatchingEventWriter: maxQueue must be a whole number of at least batchSize.');
    }
    if (!Number.isFinite(this.flushIntervalMs) || this.flushIntervalMs <= 0) {
      throw new RangeError('BatchingEventWriter: flushIntervalMs must be a positive number of milliseconds.');
    }
    this.onError = options.onError;
    this.onOverflow = options.onOverflow;
  }

  /** Items refused because the queue was full or the writer closed. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Items whose `write` failed. */
  get failed(): number {
    return this.failedCount;
  }

  /** Items written. */
  get written(): number {
    return this.writtenCount;
  }

  /** Items waiting (not counting a batch being written). Never more than `maxQueue`. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues `item`; `false` when it was dropped (queue full or writer closed). Never blocks or throws. */
  push(item: T): boolean {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.droppedCount++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.notifyOverflow();
      }
      return false;
    }
    this.overflowing = false;
    this.queue.push(item);
    this.accepted++;
    if (this.queue.length >= this.batchSize) void this.drain();
    else this.timer ??= this.startTimer();
    return true;
  }

  /** Resolves once every item pushed before the call is written or failed. Never rejects. */
  async flush(): Promise<void> {
    const target = this.accepted;
    this.flushTarget = Math.max(this.flushTarget, target);
    while (this.settled < target) await this.drain();
    if (this.queue.length === 0 && this.timer) {
      // Nothing left for it: the next item gets a full interval of its own.
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Refuses further items and flushes the queue. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private startTimer(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
    // A pending partial batch must not keep the process alive; close() writes it on shutdown.
    timer.unref?.();
    return timer;
  }

  /** Starts the single write loop unless it runs; resolves when it stops. */
  private drain(): Promise<void> {
    // A loop may finish without awaiting (nothing to write, a write that throws at once): `looping`,
    // not the promise, says whether one is still going.
    if (!this.looping) this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.queue.length >= this.batchSize || (this.queue.length > 0 && this.taken < this.flushTarget)) {
        const batch = this.queue.splice(0, this.batchSize);
        this.taken += batch.length;
        try {
          await this.write(batch);
          this.writtenCount += batch.length;
        } catch (error) {
          this.failedCount += batch.length;
          this.report(error, batch);
        } finally {
          this.settled += batch.length;
        }
      }
    } finally {
      // Cleared in the same turn as the last check, so a push that sees `looping` set is still picked up.
      this.looping = false;
      if (this.queue.length > 0 && !this.closed) this.timer ??= this.startTimer();
    }
  }

  private report(error: unknown, batch: readonly T[]): void {
    try {
      this.onError?.(error, batch);
    } catch {
      // A failing error callback must not stop the loop.
    }
  }

  private notifyOverflow(): void {
    try {
      this.onOverflow?.();
    } catch {
      // Same: a callback never breaks push().
    }
  }
}
