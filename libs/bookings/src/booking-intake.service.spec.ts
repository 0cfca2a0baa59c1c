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

describe('BookingIntake.accept', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('counts the bookers of a batch towards a mail rush, not its requests: one client’s burst is no rush', async () => {
    const noted: number[] = [];
    // Every request refused as for an unknown event, so nothing is signalled.
    const dataSource = {
      manager: { query: async (_sql: string, [ids]: [string[]]) => ids.map((id) => ({ id, event_id: null })) },
    } as unknown as DataSource;
    const mailRushPause = { noteBatch: (bookers: number) => noted.push(bookers) } as unknown as MailRushPause;
    const intake = new BookingIntake(dataSource, {} as JobProducer, mailRushPause);
    const burst = (userIdOf: (index: number) => number) =>
      Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          intake.accept({ userId: userIdOf(index), eventId: 'e', ticketCount: 1 }).catch((error: Error) => error),
        ),
      );

    const oneBooker = await burst(() => 1);
    expect(oneBooker.every((outcome) => outcome instanceof Error && outcome.message === 'Event not found.')).toBe(true);
    await burst((index) => index + 1);
    expect(noted).toEqual([1, 40]);
  });
});
