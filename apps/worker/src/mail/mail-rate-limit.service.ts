import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';

import { AppConfig } from '@evently/config';
import { QUEUES } from '@evently/queue';

/**
 * Mail jobs start at most `MAIL_RATE_PER_SECOND` a second for all workers together (BullMQ's queue-wide limit,
 * kept in Redis): an on-sale's confirmations stay within an SMTP provider's quota and leave the CPU to the
 * bookings still being settled. Each worker writes it as it starts and whenever its Redis connection comes
 * back (a Redis restarted empty has lost it), so the last worker to start or reconnect decides. Not awaited: a worker
 * started before Redis still starts.
 */
@Injectable()
export class MailRateLimit implements OnApplicationBootstrap {
  private readonly logger = new Logger(MailRateLimit.name);

  constructor(
    private readonly config: AppConfig,
    @InjectQueue(QUEUES.mail) private readonly queue: Queue,
  ) {}

  onApplicationBootstrap(): void {
    this.queue.backend.on('ready', () => void this.apply());
    void this.apply();
  }

  private async apply(): Promise<void> {
    const { ratePerSecond } = this.config.mail;
    try {
      if (ratePerSecond > 0) await this.queue.setGlobalRateLimit(ratePerSecond, 1000);
      else await this.queue.removeGlobalRateLimit();
    } catch (error) {
      this.logger.warn(`mail rate limit not applied: ${(error as Error).message}`);
    }
  }
}
