import { ApiKeyTouchThrottle } from './api-key.touch-throttle';

describe('ApiKeyTouchThrottle', () => {
  it('lets one write per key through per interval', () => {
    const throttle = new ApiKeyTouchThrottle(60_000);
    expect(throttle.due('a', 0)).toBe(true);
    expect(throttle.due('a', 1)).toBe(false);
    expect(throttle.due('a', 59_999)).toBe(false);
    expect(throttle.due('b', 59_999)).toBe(true);
    expect(throttle.due('a', 60_000)).toBe(true);
    expect(throttle.due('a', 60_001)).toBe(false);
  });

  it('writes every time with a zero interval', () => {
    const throttle = new ApiKeyTouchThrottle(0);
    expect([throttle.due('a', 5), throttle.due('a', 5), throttle.due('a', 5)]).toEqual([true, true, true]);
  });

  it('stays bounded, dropping the entries touched longest ago first', () => {
    const throttle = new ApiKeyTouchThrottle(60_000, 3);
    throttle.due('a', 0);
    throttle.due('b', 1);
    throttle.due('c', 2);
    throttle.due('d', 3);
    expect(throttle.size).toBe(3);
    // `a` was forgotten (one extra write, harmless); `b`, `c`, `d` are still throttled.
    expect(throttle.due('b', 4)).toBe(false);
    expect(throttle.due('d', 4)).toBe(false);
    expect(throttle.due('a', 4)).toBe(true);
    expect(throttle.size).toBe(3);
  });

  it('drops every stale entry when it needs room', () => {
    const throttle = new ApiKeyTouchThrottle(10, 3);
    throttle.due('a', 0);
    throttle.due('b', 0);
    throttle.due('c', 0);
    throttle.due('d', 100);
    expect(throttle.size).toBe(1);
  });
});
