import { consumeIfClearInParts } from './consume-if-clear';
import type {
  ConsumeIfClearRequest,
  ConsumeIfClearResult,
  ConsumeRequest,
  ConsumeResult,
  CounterState,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SecurityStore,
} from './security-store';

/** A {@link SecurityStore} whose data operations all go through one `run` hook (to apply a policy around them). */
export abstract class DelegatingSecurityStore implements SecurityStore {
  protected abstract run<T>(operation: (store: SecurityStore) => Promise<T>): Promise<T>;

  /**
   * Runs an operation that reads security records (revocations) with whatever it charges: such an
   * operation must never be answered by a stand-in that does not know the records. By default the
   * same as {@link run}; a store whose `run` may fall back (an outage policy) overrides it.
   */
  protected runRecords<T>(operation: (store: SecurityStore) => Promise<T>): Promise<T> {
    return this.run(operation);
  }

  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;

  increment(key: string, ttlMs: number, by?: number): Promise<CounterState> {
    return this.run((store) => store.increment(key, ttlMs, by));
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.run((store) => store.setIfAbsent(key, value, ttlMs));
  }

  get(key: string): Promise<string | null> {
    return this.run((store) => store.get(key));
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return this.run((store) => store.getMany(keys));
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.run((store) => store.set(key, value, ttlMs));
  }

  take(key: string): Promise<string | null> {
    return this.run((store) => store.take(key));
  }

  delete(key: string): Promise<boolean> {
    return this.run((store) => store.delete(key));
  }

  consume(requests: readonly ConsumeRequest[]): Promise<ConsumeResult[]> {
    return this.run((store) => store.consume(requests));
  }

  /** One call on the store behind (one round trip when it implements it), two calls otherwise. */
  consumeIfClear(request: ConsumeIfClearRequest): Promise<ConsumeIfClearResult> {
    const reads = request.marks.length > 0 || request.stamp !== undefined;
    const operation = (store: SecurityStore): Promise<ConsumeIfClearResult> =>
      store.consumeIfClear ? store.consumeIfClear(request) : consumeIfClearInParts(store, request);
    return reads ? this.runRecords(operation) : this.run(operation);
  }

  reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    return this.run((store) => store.reserve(requests));
  }

  release(requests: readonly ReleaseRequest[]): Promise<void> {
    return this.run((store) => store.release(requests));
  }
}
