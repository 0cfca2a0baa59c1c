import { EXACT_COUNT_LIMIT, settleEstimate } from './event-queries.service';

describe('settleEstimate', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('makes an empty page past the real end count no further than its offset, so the page answers 404', () => {
    // The planner guessed 5,000 matches; there are fewer than 1,300, so page 14 of 100 is empty.
    expect(settleEstimate(5000, 1300, [], false)).toBe(1300);
  });

  it('makes the last page exact, and never lets a page with more after it claim to be the end', () => {
    expect(settleEstimate(5000, 1200, rows(40), false)).toBe(1240);
    expect(settleEstimate(900, 1200, rows(100), true)).toBe(1301);
    expect(settleEstimate(10, 0, rows(10), true)).toBe(EXACT_COUNT_LIMIT + 1);
    expect(settleEstimate(5000, 0, rows(10), true)).toBe(5000);
  });
});
