import { parseByteSize } from './byte-size';

describe('parseByteSize', () => {
  it.each([
    ['100kb', 102400],
    ['1MB', 1048576],
    ['512b', 512],
    ['2048', 2048],
    [4096, 4096],
  ])('parses %p', (input, bytes) => expect(parseByteSize(input)).toBe(bytes));

  it.each(['', 'lots', '-1kb', '1.5mb', '10gb', 0, -5, 1.5])('refuses %p', (input) =>
    expect(parseByteSize(input)).toBeUndefined(),
  );
});
