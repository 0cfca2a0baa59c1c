import { Injectable, Logger } from '@nestjs/common';

import { AppConfig } from '@evently/config';
import { JobProducer } from '@evently/queue';

/** An accept statement carrying this many bookings means they arrive faster than one statement's round trip. */
export const RUSH_BATCH = 32;
/** Each rush batch holds mail back this long; the rush is over once this long passes without one. */
export const PAUSE_MS = 1000;
/** A process renews the pause at most this often, so a rush costs Redis a few writes a second. */
export const RENEW_EVERY_MS = 250;

/**
 * Holds mail back while bookings pour in. On a small machine, sending mail takes the CPU that answers and settles
 * the bookings: a storm on two cores accepted a quarter more requests a second with mail held back. Every large
 * accept batch pauses mail starts on all workers for a second (a Redis key that expires by itself, so nothing is
 * left to resume), and the mail waits in its queue. A rush that lasts longer than `MAIL_RUSH_PAUSE_MAX_SECONDS`
 * stops holding mail back until a quiet second has passed, so no rush starves mail for longer than that.
 */
@Injectable()
export class MailRushPause {
  private readonly logger = new Logger(MailRushPause.name);
  private readonly maxPauseMs: number;
  private rushStartedAt = Number.NEGATIVE_INFINITY;
  private lastRushBatchAt = Number.NEGATIVE_INFINITY;
  private lastPausedAt = Number.NEGATIVE_INFINITY;

  constructor(
    config: AppConfig,
    private readonly producer: JobProducer,
  ) {
    // BullMQ honours the pause only on a rate-limited queue.
    this.maxPauseMs = config.mail.ratePerSecond > 0 ? config.mail.rushPauseMaxSeconds * 1000 : 0;
  }

  /** Called with the size of each accept batch; never waits for Redis. */
  noteBatch(size: number, now = Date.now()): void {
    if (this.maxPauseMs === 0 || size < RUSH_BATCH) return;
    const newRush = now - this.lastRushBatchAt > PAUSE_MS;
    if (newRush) this.rushStartedAt = now;
    this.lastRushBatchAt = now;
    const rushMs = now - this.rushStartedAt;
    if (rushMs >= this.maxPauseMs) {
      if (this.lastPausedAt >= this.rushStartedAt) {
        this.logger.warn({ rushSeconds: Math.round(rushMs / 1000) }, 'booking rush goes on: mail no longer held back');
        this.lastPausedAt = Number.NEGATIVE_INFINITY;
      }
      return;
    }
    if (now - this.lastPausedAt < RENEW_EVERY_MS) return;
    if (newRush) this.logger.log({ batch: size }, 'booking rush: mail held back');
    this.lastPausedAt = now;
    this.producer.pauseMail(PAUSE_MS).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'mail not held back for the booking rush');
    });
  }
}
