import { MemorySpace, type MemoryEntry } from './memory-space';

const entry = (key: string, expiresAt: number): MemoryEntry => ({
  key,
  value: '1',
  count: 0,
  expiresAt,
  owner: 'known',
});

describe('MemorySpace', () => {
  it('reclaims expired entries when full, but checks a bounded batch per call, never the whole space', () => {
    const size = 20_000;
    const space = new MemorySpace(size, 0, 0);
    for (let i = 0; i < size; i++) space.add(entry(`k${i}`, 100));
    // Everything has expired; the space is full.
    expect(space.hasRoom(1, 0, 0, 200)).toBe(true);
    // One call reclaimed one bounded batch (the incremental sweep and one deep sweep), not 20,000.
    const reclaimed = size - space.size;
    expect(reclaimed).toBeGreaterThan(0);
    expect(reclaimed).toBeLessThanOrEqual(4096 + 8);
  });

  it('spaces deep sweeps out in time, so a spray of refusals costs one batch per interval', () => {
    const space = new MemorySpace(10_000, 0, 0);
    for (let i = 0; i < 10_000; i++) space.add(entry(`live${i}`, 1_000_000));
    expect(space.hasRoom(1, 0, 0, 200)).toBe(false);
    const cursorProbe = jest.spyOn(space as unknown as { sweepUpTo(limit: number, now: number): void }, 'sweepUpTo');
    for (let i = 0; i < 100; i++) expect(space.hasRoom(1, 0, 0, 201)).toBe(false);
    // 100 refusals within one interval: the cheap sweep each time, the deep one at most once.
    const deep = cursorProbe.mock.calls.filter(([limit]) => limit > 8);
    expect(deep.length).toBeLessThanOrEqual(1);
    expect(space.hasRoom(1, 0, 0, 250)).toBe(false);
    expect(cursorProbe.mock.calls.filter(([limit]) => limit > 8).length).toBe(deep.length + 1);
  });

  it('finds room once the rotating deep sweeps have reached the expired entries', () => {
    const space = new MemorySpace(12_000, 0, 0);
    for (let i = 0; i < 10_000; i++) space.add(entry(`live${i}`, 1_000_000));
    for (let i = 0; i < 2_000; i++) space.add(entry(`old${i}`, 100));
    let now = 200;
    let admitted = false;
    for (let i = 0; i < 10 && !admitted; i++, now += 10) admitted = space.hasRoom(1, 0, 0, now);
    expect(admitted).toBe(true);
    expect(space.size).toBeGreaterThanOrEqual(10_000);
  });
});
