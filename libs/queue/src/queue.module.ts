import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Global, Module } from '@nestjs/common';

import { AppConfig } from '@evently/config';

import { JobProducer } from './job-producer.service';
import { OutboxRelay } from './outbox-relay.service';
import { QUEUES } from './queue-names';

const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

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
        BullModule.registerQueue(...Object.values(QUEUES).map((name) => ({ name }))),
      ],
      providers: [JobProducer, OutboxRelay],
      exports: [BullModule, JobProducer, OutboxRelay],
    };
  }
}
