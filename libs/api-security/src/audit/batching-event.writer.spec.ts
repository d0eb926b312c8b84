import { BatchingEventWriter } from './batching-event.writer';

/** A write whose batches stay pending until the test releases them. */
function gatedWrite(): {
  write: (batch: readonly number[]) => Promise<void>;
  batches: number[][];
  release: () => void;
} {
  const batches: number[][] = [];
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    batches,
    write: async (batch) => {
      batches.push([...batch]);
      await gate;
    },
    release: () => open(),
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('BatchingEventWriter', () => {
  it('writes a burst of 1,000 items in ceil(1000 / batchSize) batches, in order, none larger than batchSize', async () => {
    const batches: number[][] = [];
    const writer = new BatchingEventWriter<number>({
      batchSize: 100,
      write: async (batch) => {
        batches.push([...batch]);
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    for (const i of range(1000)) expect(writer.push(i)).toBe(true);
    await writer.flush();
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(1000 / 100));
    expect(batches.every((b) => b.length <= 100)).toBe(true);
    expect(batches.flat()).toEqual(range(1000));
    expect(writer.written).toBe(1000);
    expect(writer.dropped).toBe(0);
  });

  it('keeps at most maxQueue items waiting while the backend is slow, counts the rest as dropped, one write at a time', async () => {
    const gated = gatedWrite();
    let overflows = 0;
    const writer = new BatchingEventWriter<number>({
      batchSize: 50,
      maxQueue: 200,
      write: gated.write,
      onOverflow: () => overflows++,
    });
    let highWater = 0;
    for (const i of range(1000)) {
      writer.push(i);
      highWater = Math.max(highWater, writer.queued);
    }
    expect(highWater).toBeLessThanOrEqual(200);
    // One batch is in flight (the first 50), the queue holds 200, the other 750 were refused.
    expect(gated.batches).toHaveLength(1);
    expect(writer.dropped).toBe(750);
    expect(overflows).toBe(1);
    gated.release();
    await writer.flush();
    expect(writer.written).toBe(250);
    expect(gated.batches.length).toBeLessThanOrEqual(Math.ceil(1000 / 50));
    expect(gated.batches.flat()).toEqual(range(250));
    // Room again: a later flood is a new episode.
    for (const i of range(260)) writer.push(i);
    expect(overflows).toBe(2);
    await writer.flush();
  });

  it('holds a partial batch until flushIntervalMs, then writes it', async () => {
    jest.useFakeTimers();
    try {
      const write = jest.fn(async (_batch: readonly number[]) => undefined);
      const writer = new BatchingEventWriter<number>({ batchSize: 10, flushIntervalMs: 500, write });
      writer.push(1);
      writer.push(2);
      await Promise.resolve();
      expect(write).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(500);
      expect(write).toHaveBeenCalledTimes(1);
      expect(write).toHaveBeenCalledWith([1, 2]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('flush() resolves once everything pushed before it is written, including a batch already in flight', async () => {
    const gated = gatedWrite();
    const writer = new BatchingEventWriter<number>({ batchSize: 2, write: gated.write });
    writer.push(1);
    writer.push(2); // full: in flight
    writer.push(3); // partial: waiting
    let flushed = false;
    const flushing = writer.flush().then(() => (flushed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toBe(false);
    gated.release();
    await flushing;
    expect(gated.batches).toEqual([[1, 2], [3]]);
    expect(writer.written).toBe(3);
  });

  it('close() writes what is queued and refuses later items as dropped', async () => {
    const batches: number[][] = [];
    const writer = new BatchingEventWriter<number>({
      batchSize: 100,
      write: async (batch) => void batches.push([...batch]),
    });
    for (const i of range(7)) writer.push(i);
    await writer.close();
    expect(batches).toEqual([range(7)]);
    expect(writer.push(99)).toBe(false);
    expect(writer.dropped).toBe(1);
    await writer.flush();
    expect(batches).toEqual([range(7)]);
  });

  it('counts a failed batch, reports it, and goes on with the next ones (no retry, no growth)', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const writer = new BatchingEventWriter<number>({
      batchSize: 5,
      write: (batch) => {
        calls++;
        if (batch[0] === 0) throw new Error('database down'); // synchronous throw
        return Promise.resolve();
      },
      onError: (error) => errors.push(error),
    });
    for (const i of range(12)) writer.push(i);
    await writer.flush();
    expect(calls).toBe(3);
    expect(writer.failed).toBe(5);
    expect(writer.written).toBe(7);
    expect(errors).toEqual([new Error('database down')]);
    expect(writer.queued).toBe(0);
  });

  it('refuses nonsensical limits', () => {
    const write = async () => undefined;
    expect(() => new BatchingEventWriter({ write, batchSize: 0 })).toThrow(RangeError);
    expect(() => new BatchingEventWriter({ write, batchSize: 10, maxQueue: 5 })).toThrow(RangeError);
    expect(() => new BatchingEventWriter({ write, flushIntervalMs: 0 })).toThrow(RangeError);
    expect(() => new BatchingEventWriter({} as never)).toThrow(TypeError);
  });
});
