import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { JobProducer } from '@evently/queue';

import { BookingIntake } from './booking-intake.service';
import { MailRushPause } from './mail-rush-pause.service';

describe('BookingIntake.signalSoon', () => {
  beforeAll(() => Logger.overrideLogger(false));

  /** A producer whose signals stay in flight until `finish()`; the first `failures` of them fail. */
  function producer(failures = 0) {
    const sent: string[][] = [];
    const inFlight: (() => void)[] = [];
    const fake = {
      signalSettle: (eventIds: string[]) => {
        sent.push(eventIds);
        const fails = sent.length <= failures;
        return new Promise<void>((resolve, reject) =>
          inFlight.push(() => (fails ? reject(new Error('Connection is closed.')) : resolve())),
        );
      },
    } as unknown as JobProducer;
    const finish = async () => {
      inFlight.shift()?.();
      await new Promise(setImmediate);
    };
    return { fake, sent, finish };
  }

  const intakeWith = (fake: JobProducer) =>
    new BookingIntake({} as DataSource, fake, { noteBatch: () => {} } as unknown as MailRushPause);

  it('keeps one signal in flight and folds the events noted meanwhile into the next', async () => {
    const { fake, sent, finish } = producer();
    const intake = intakeWith(fake);
    intake.signalSoon(['a']);
    intake.signalSoon(['b', 'a']);
    intake.signalSoon(['c']);
    expect(sent).toEqual([['a']]);

    await finish();
    expect(sent).toEqual([['a'], ['b', 'a', 'c']]);
    await finish();
    expect(sent).toHaveLength(2);

    intake.signalSoon(['d']);
    expect(sent).toEqual([['a'], ['b', 'a', 'c'], ['d']]);
    await finish();
    await intake.onModuleDestroy();
  });

  it('leaves a failed signal to the sweeper and still sends the next', async () => {
    const { fake, sent, finish } = producer(1);
    const intake = intakeWith(fake);
    intake.signalSoon(['a']);
    intake.signalSoon(['b']);
    await finish();
    expect(sent).toEqual([['a'], ['b']]);
    await finish();
  });

  it('says once that signals are deferred while they keep failing, and once that they go out again', async () => {
    const { fake, finish } = producer(3);
    const intake = intakeWith(fake);
    const warned = jest.spyOn(Logger.prototype, 'warn');
    const logged = jest.spyOn(Logger.prototype, 'log');
    try {
      for (const eventId of ['a', 'b', 'c', 'd']) {
        intake.signalSoon([eventId]);
        await finish();
      }
      expect(warned.mock.calls.map(([, message]) => message)).toEqual(['settle signal deferred to the sweeper']);
      expect(logged.mock.calls).toEqual([[{ deferred: 3 }, 'settle signals go out again']]);
    } finally {
      warned.mockRestore();
      logged.mockRestore();
    }
  });

  it('waits for the signals still to send when the api shuts down', async () => {
    const { fake, sent, finish } = producer();
    const intake = intakeWith(fake);
    intake.signalSoon(['a']);
    intake.signalSoon(['b']);
    let closed = false;
    const closing = intake.onModuleDestroy().then(() => (closed = true));
    await finish();
    expect(closed).toBe(false);
    expect(sent).toEqual([['a'], ['b']]);
    await finish();
    await closing;
    expect(closed).toBe(true);
  });
});
