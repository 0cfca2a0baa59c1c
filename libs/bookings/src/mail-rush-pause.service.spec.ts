import { Logger } from '@nestjs/common';

import { AppConfig } from '@evently/config';
import { JobProducer } from '@evently/queue';

import { MailRushPause, PAUSE_MS, RENEW_EVERY_MS, RUSH_BATCH, RUSH_GAP_MS } from './mail-rush-pause.service';

describe('MailRushPause', () => {
  const pauses: number[] = [];
  /** What each pause asked for, Redis down or not. */
  const asked: number[] = [];
  let now = 0;

  function rushPause({ ratePerSecond = 100, rushPauseMaxSeconds = 60, redisDown = false } = {}) {
    const config = { mail: { ratePerSecond, rushPauseMaxSeconds } } as AppConfig;
    const producer = {
      pauseMail: async (ms: number) => {
        asked.push(ms);
        if (redisDown) throw new Error('Connection is closed.');
        pauses.push(now);
      },
    } as unknown as JobProducer;
    return new MailRushPause(config, producer);
  }

  /** Accept batches of `size` every `everyMs` from now for `forMs`. */
  function batches(pause: MailRushPause, size: number, everyMs: number, forMs: number) {
    for (const end = now + forMs; now < end; now += everyMs) pause.noteBatch(size, now);
  }

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    pauses.length = 0;
    asked.length = 0;
    now = 1_000_000;
  });

  // Asked here, not in the fake: the service swallows what the fake throws.
  afterEach(() => expect(asked.filter((ms) => ms !== PAUSE_MS)).toEqual([]));

  it('leaves mail alone under ordinary load', () => {
    batches(rushPause(), RUSH_BATCH - 1, 5, 10_000);
    expect(pauses).toEqual([]);
  });

  it('holds mail back from the first rush batch for a second, renewing the pause at most every 250 ms', () => {
    const start = now;
    batches(rushPause(), RUSH_BATCH, 10, 2_000);
    expect(asked).toEqual(pauses.map(() => PAUSE_MS));
    expect(pauses[0]).toBe(start);
    expect(pauses).toHaveLength(2_000 / RENEW_EVERY_MS);
    expect(pauses.every((at, i) => i === 0 || at - pauses[i - 1] === RENEW_EVERY_MS)).toBe(true);
  });

  it('holds mail back no longer once a rush outlasts the limit, until the rush is over', () => {
    const pause = rushPause({ rushPauseMaxSeconds: 3 });
    const start = now;
    batches(pause, 100, 10, 10_000);
    expect(pauses.at(-1)).toBeLessThan(start + 3_000);
    expect(pauses.at(-1)).toBeGreaterThanOrEqual(start + 3_000 - RENEW_EVERY_MS);

    const before = pauses.length;
    now += RUSH_GAP_MS - 100;
    batches(pause, 100, 10, 1_000);
    expect(pauses).toHaveLength(before);

    now += RUSH_GAP_MS;
    const again = now;
    batches(pause, 100, 10, 500);
    expect(pauses.at(-1)).toBeGreaterThanOrEqual(again);
  });

  it('counts rush batches a little more than a pause apart as one rush, so they cannot hold mail back for good', () => {
    const start = now;
    batches(rushPause(), 100, PAUSE_MS + 1, 600_000);
    expect(pauses.length).toBeGreaterThan(0);
    expect(pauses.filter((at) => at >= start + 60_000)).toEqual([]);
  });

  it('warns once per rush when Redis refuses the pause, and never throws into the accept path', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const pause = rushPause({ redisDown: true });
    expect(() => batches(pause, 100, 10, 2_000)).not.toThrow();
    await new Promise(setImmediate);
    const failures = () =>
      warn.mock.calls.filter(([, message]) => message === 'mail not held back for the booking rush');
    expect(failures()).toHaveLength(1);

    now += RUSH_GAP_MS;
    batches(pause, 100, 10, 1_000);
    await new Promise(setImmediate);
    expect(failures()).toHaveLength(2);
    warn.mockRestore();
  });

  it('never holds mail back when disabled, or when the queue has no rate limit to honour the pause', () => {
    batches(rushPause({ rushPauseMaxSeconds: 0 }), 250, 10, 1_000);
    batches(rushPause({ ratePerSecond: 0 }), 250, 10, 1_000);
    expect(pauses).toEqual([]);
  });
});
