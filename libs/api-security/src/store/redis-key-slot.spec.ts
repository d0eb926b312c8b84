import { blockKeyOf, groupBySlot, hashInputOf } from './redis-key-slot';

describe('Redis Cluster key slots', () => {
  it.each([
    ['plain', 'plain'],
    ['rl:{ip:10.0.0.1}:global', 'ip:10.0.0.1'],
    ['a{}b{c}', 'a{}b{c}'],
    ['a{b', 'a{b'],
    ['a}b{c}', 'c'],
    ['{x}{y}', 'x'],
  ])('hashes %s on %s, as the Redis Cluster specification says', (key, input) => {
    expect(hashInputOf(key)).toBe(input);
  });

  it('puts a block marker in the slot of its counter', () => {
    for (const counter of ['p:rl:{u:1}:global', 'p:conformance:123:c', 'p:a{b']) {
      expect(hashInputOf(blockKeyOf(counter, true))).toBe(hashInputOf(counter));
    }
  });

  it('keeps the standalone layout of block markers', () => {
    expect(blockKeyOf('p:plain', false)).toBe('p:plain|blocked');
    expect(blockKeyOf('p:{t}:a', true)).toBe('p:{t}:a|blocked');
  });

  it('groups keys by hash input, keeping positions', () => {
    expect(groupBySlot(['{a}:1', 'b', '{a}:2', 'c', 'b'])).toEqual([[0, 2], [1, 4], [3]]);
  });
});
