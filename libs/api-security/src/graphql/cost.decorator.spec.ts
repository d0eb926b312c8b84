import { Cost } from './cost.decorator';

describe('@Cost', () => {
  it('takes a non-negative integer only', () => {
    expect(() => Cost(0)).not.toThrow();
    expect(() => Cost(5)).not.toThrow();
    expect(() => Cost(-1)).toThrow(/non-negative integer/);
    expect(() => Cost(1.5)).toThrow(/non-negative integer/);
    expect(() => Cost(Number.NaN)).toThrow(/non-negative integer/);
  });
});
