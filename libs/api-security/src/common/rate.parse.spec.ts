import { parseDuration, parseRate } from './rate.parse';

describe('parseRate', () => {
  it.each([
    ['100/60s', 100, 60],
    ['5/m', 5, 60],
    ['5/1m', 5, 60],
    ['1000/1h', 1000, 3600],
    ['10000/1d', 10000, 86400],
  ])('reads %p', (text, limit, windowSeconds) => {
    expect(parseRate(text)).toEqual({ limit, windowSeconds });
  });

  it.each([
    '100',
    '0/60s',
    '5/0s',
    '-1/60s',
    '5/60',
    '5/60x',
    '5/2d',
    'lots/minute',
    '',
    '1e3/60s',
    '5/60s;drop',
    ' 3/10s',
    '3 / 10s',
  ])('refuses %p', (text) => {
    expect(parseRate(text)).toBeUndefined();
  });

  it('takes a longer window only when the caller allows it', () => {
    expect(parseRate('5/7d')).toBeUndefined();
    expect(parseRate('5/7d', 31_536_000)).toEqual({ limit: 5, windowSeconds: 604800 });
  });

  it('refuses non-strings', () => {
    expect(parseRate(100)).toBeUndefined();
    expect(parseRate(undefined)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['0s', 0],
  ])('reads %p', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['30', 'forever', '2d', '-1s', '', ' 5m'])('refuses %p', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
