import { closestMatch, editDistance } from './closest-match';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('default', 'default')).toBe(0);
    expect(editDistance('defualt', 'default')).toBe(1);
    expect(editDistance('defaut', 'default')).toBe(1);
    expect(editDistance('defaultt', 'default')).toBe(1);
    expect(editDistance('dafault', 'default')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('closestMatch', () => {
  const keys = ['jwt', 'sessions', 'rateLimit', 'requestLimits', 'store', 'audit'];

  it('finds the key a typing slip or a case slip was meant as', () => {
    expect(closestMatch('ratelimit', keys)).toBe('rateLimit');
    expect(closestMatch('rateLimt', keys)).toBe('rateLimit');
    expect(closestMatch('sesions', keys)).toBe('sessions');
    expect(closestMatch('requestLimit', keys)).toBe('requestLimits');
  });

  it('suggests nothing for a word that is not close to any key', () => {
    expect(closestMatch('database', keys)).toBeUndefined();
    expect(closestMatch('x', keys)).toBeUndefined();
    expect(closestMatch('anything', [])).toBeUndefined();
  });
});
