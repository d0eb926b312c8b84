import { MemorySecurityStore } from '../store/memory.store';
import { describeSecurityStoreConformance, type ConformanceRunner } from './security-store.conformance';

describe('describeSecurityStoreConformance outside Jest', () => {
  it('declares its tests through the runner it is given, not through globals', () => {
    const names: string[] = [];
    const runner: ConformanceRunner = {
      describe: (_name, body) => body(),
      it: (name) => names.push(name),
      beforeAll: () => undefined,
      afterAll: () => undefined,
      beforeEach: () => undefined,
      expect: () => {
        throw new Error('no test body runs while declaring');
      },
    };
    describeSecurityStoreConformance('Declared only', () => new MemorySecurityStore(), { runner });
    expect(names.length).toBeGreaterThan(50);
    expect(names).toContain('answers ping');
  });

  it('names what is missing when there is no runner global and no runner option', () => {
    const scope = globalThis as { beforeEach?: unknown };
    const saved = scope.beforeEach;
    scope.beforeEach = undefined;
    try {
      expect(() => describeSecurityStoreConformance('No runner', () => new MemorySecurityStore())).toThrow(
        /no beforeEach global.*runner/,
      );
    } finally {
      scope.beforeEach = saved;
    }
  });
});
