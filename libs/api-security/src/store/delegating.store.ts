import type {
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

  reserve(requests: readonly ReserveRequest[]): Promise<ReserveResult> {
    return this.run((store) => store.reserve(requests));
  }

  release(requests: readonly ReleaseRequest[]): Promise<void> {
    return this.run((store) => store.release(requests));
  }
}
