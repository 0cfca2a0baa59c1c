import { performance } from 'node:perf_hooks';

import { Injectable, Logger } from '@nestjs/common';

import { AppConfig } from '@evently/config';
import { JobProducer } from '@evently/queue';

/** An accept statement carrying this many bookers' requests means they arrive faster than one statement's round trip. */
export const RUSH_BATCH = 32;
/** Each rush batch holds mail back this long. */
export const PAUSE_MS = 1000;
/** A process renews the pause at most this often, so a rush costs Redis a few writes a second. */
export const RENEW_EVERY_MS = 250;
/** A rush is over once this long passes without a rush batch: between two rushes, mail runs for seconds. */
export const RUSH_GAP_MS = 5000;

interface Rush {
  startedAt: number;
  lastBatchAt: number;
  lastPausedAt: number;
  /** It has lasted longer than the longest pause: mail runs until it is over. */
  outlasted: boolean;
  failureLogged: boolean;
}

/**
 * Holds mail back while bookings pour in. On a small machine, sending mail takes the CPU that answers and settles
 * the bookings. Every rush batch (an accept statement with requests of {@link RUSH_BATCH} bookers or more, sold-out
 * ones included) pauses mail starts on all workers for a second: a Redis key that expires by itself, so nothing is
 * left to resume, and the mail waits in its queue. A rush that outlasts `MAIL_RUSH_PAUSE_MAX_SECONDS` holds mail
 * back no longer, until it is over, so no rush starves mail for longer than that.
 */
@Injectable()
export class MailRushPause {
  private readonly logger = new Logger(MailRushPause.name);
  private readonly maxPauseMs: number;
  private rush?: Rush;

  constructor(
    config: AppConfig,
    private readonly producer: JobProducer,
  ) {
    // BullMQ honours the pause only on a rate-limited queue.
    this.maxPauseMs = config.mail.ratePerSecond > 0 ? config.mail.rushPauseMaxSeconds * 1000 : 0;
  }

  /** Called with the number of bookers in each accept batch; never waits for Redis. */
  noteBatch(bookers: number, now = performance.now()): void {
    if (this.maxPauseMs === 0 || bookers < RUSH_BATCH) return;
    const rush = this.rushAt(now, bookers);
    if (rush.outlasted || now - rush.lastPausedAt < RENEW_EVERY_MS) return;
    if (now - rush.startedAt >= this.maxPauseMs) {
      rush.outlasted = true;
      this.logger.warn(
        { rushSeconds: Math.round((now - rush.startedAt) / 1000) },
        'booking rush goes on: mail resumes',
      );
      return;
    }
    rush.lastPausedAt = now;
    this.producer.pauseMail(PAUSE_MS).catch((error: unknown) => {
      if (rush.failureLogged) return;
      rush.failureLogged = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: reason }, 'mail not held back for the booking rush');
    });
  }

  private rushAt(now: number, bookers: number): Rush {
    if (!this.rush || now - this.rush.lastBatchAt >= RUSH_GAP_MS) {
      this.rush = { startedAt: now, lastBatchAt: now, lastPausedAt: -Infinity, outlasted: false, failureLogged: false };
      this.logger.log({ bookers }, 'booking rush: mail held back');
    }
    this.rush.lastBatchAt = now;
    return this.rush;
  }
}
