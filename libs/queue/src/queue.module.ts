import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';

import { AppConfig } from '@evently/config';

import { JobProducer } from './job-producer.service';
import { OutboxRelay } from './outbox-relay.service';
import { QUEUES } from './queue-names';
import { assertRedisRunsInfo } from './redis-grants';

const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
  // A failed job is kept a week with a stack trace per attempt (up to 100 for a mail job) in a Redis that must not
  // evict: the last one is enough, next to the failure's reason.
  stackTraceLimit: 1,
};

/** The mail queue's backoff: exponential from the job's `delay`, capped; the mail worker computes it. */
export const MAIL_BACKOFF = 'mail-capped-exponential';
const MAIL_RETRY_CAP_MS = 15 * 60_000;

/**
 * SMTP outages last longer than database blips, a night's sometimes: retries double from 5 s up to one every 15
 * minutes, 100 attempts in about 23 hours, so mail queued during a long outage goes out within 15 minutes of its
 * end. (An uncapped doubling that lasted a day would leave gaps of 11 hours.)
 */
export const MAIL_RETRIES = { attempts: 100, backoff: { type: MAIL_BACKOFF, delay: 5000 } };

/** The wait before a mail job's next attempt, after `attemptsMade` failed ones. */
export function mailRetryDelay(attemptsMade: number, delay: number): number {
  return Math.min(delay * 2 ** (attemptsMade - 1), MAIL_RETRY_CAP_MS);
}

/**
 * A settle signal waiting for its retry also stands for every booking of its event accepted meanwhile (signals
 * are deduplicated), so an exponential backoff would hold bookings made just after a database blip for as long
 * as the blip had doubled it to. Retries come every second instead, for about 15 s; past that the sweeper
 * settles from PostgreSQL whatever is left.
 */
const SETTLE_RETRIES = { attempts: 20, backoff: { type: 'fixed', delay: 1000, jitter: 0.5 } };

/**
 * BullMQ wiring. Producers (the api) fail fast while Redis is down, so a request never hangs on it;
 * workers wait and reconnect for as long as it takes.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(role: 'producer' | 'worker'): DynamicModule {
    return {
      module: QueueModule,
      imports: [
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            prefix: `${config.redisPrefix}:bull`,
            connection:
              role === 'producer'
                ? { url: config.redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }
                : { url: config.redisUrl, maxRetriesPerRequest: null },
            defaultJobOptions: DEFAULT_JOB_OPTIONS,
          }),
        }),
        BullModule.registerQueue(
          { name: QUEUES.bookings, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...SETTLE_RETRIES } },
          { name: QUEUES.mail, defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...MAIL_RETRIES } },
        ),
      ],
      providers: [
        JobProducer,
        OutboxRelay,
        // Resolved while providers are made, before any lifecycle hook starts a BullMQ worker.
        ...(role === 'worker'
          ? [{ provide: assertRedisRunsInfo, inject: [AppConfig], useFactory: assertRedisRunsInfo }]
          : []),
      ],
      exports: [BullModule, JobProducer, OutboxRelay],
    };
  }
}
