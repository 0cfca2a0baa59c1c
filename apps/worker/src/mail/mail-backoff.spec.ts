import { Backoffs, MinimalJob } from 'bullmq';

import { MAIL_RETRIES } from '@evently/queue';

import { mailBackoff } from './mail.processor';

/** The waits BullMQ schedules between a mail job's attempts, computed as its worker does. */
function retryWaits(): number[] {
  const job = { opts: MAIL_RETRIES } as unknown as MinimalJob;
  return Array.from({ length: MAIL_RETRIES.attempts - 1 }, (_each, index) =>
    Backoffs.calculate(MAIL_RETRIES.backoff, index + 1, new Error('SMTP down'), job, mailBackoff),
  ) as number[];
}

describe('mail retries', () => {
  it('keep trying through an SMTP outage of most of a day', () => {
    const hours = retryWaits().reduce((sum, wait) => sum + wait, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(22);
  });

  it('start 5 s apart, double, and never wait more than 15 minutes, so mail goes out soon after SMTP is back', () => {
    const waits = retryWaits();
    expect(waits.slice(0, 3)).toEqual([5_000, 10_000, 20_000]);
    expect(Math.max(...waits)).toBe(15 * 60_000);
  });

  it('refuse a backoff type the mail worker does not know', () => {
    expect(() => mailBackoff(1, 'another', undefined, { opts: { backoff: { delay: 1 } } } as MinimalJob)).toThrow(
      'unknown backoff another',
    );
  });
});
