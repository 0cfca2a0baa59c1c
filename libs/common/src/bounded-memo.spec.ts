import { BoundedMemo } from './bounded-memo';

describe('BoundedMemo', () => {
  it('computes a value once and remembers it, falsy values included', () => {
    const memo = new BoundedMemo<string, boolean>(10);
    let computed = 0;
    const compute = () => (computed++, false);
    expect(memo.remember('a', compute)).toBe(false);
    expect(memo.remember('a', compute)).toBe(false);
    expect(computed).toBe(1);
  });

  it('keeps at most its capacity, forgetting the oldest first', () => {
    const memo = new BoundedMemo<number, number>(3);
    for (let i = 0; i < 5; i++) memo.set(i, i * 10);
    expect([...memo.entries()]).toEqual([
      [2, 20],
      [3, 30],
      [4, 40],
    ]);
    memo.set(3, 31);
    expect([...memo.entries()]).toHaveLength(3);
    expect(memo.get(2)).toBe(20);
    expect(memo.get(3)).toBe(31);
  });
});
