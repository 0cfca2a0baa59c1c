import { BeforeApplicationShutdown, Logger, Module } from '@nestjs/common';

import { CacheModule, OwedBumpKeeper } from '@evently/cache';
import { LoggerModule } from '@evently/common';
import { ConfigModule } from '@evently/config';
import { DatabaseModule } from '@evently/database';
import { MetricsModule } from '@evently/metrics';
import { QueueModule } from '@evently/queue';

import { BookingsWorkerModule } from './bookings/bookings-worker.module';
import { EventsWorkerModule } from './events/events-worker.module';
import { MailWorkerModule } from './mail/mail-worker.module';
import { WorkerMetricsModule } from './metrics/worker-metrics.module';
import { OutboxModule } from './outbox/outbox.module';
import { RetentionModule } from './retention/retention.module';

@Module({
  imports: [
    ConfigModule,
    LoggerModule,
    MetricsModule,
    DatabaseModule,
    CacheModule,
    QueueModule.forRoot('worker'),
    BookingsWorkerModule,
    EventsWorkerModule,
    MailWorkerModule,
    OutboxModule,
    RetentionModule,
    WorkerMetricsModule,
  ],
  providers: [OwedBumpKeeper],
})
export class WorkerModule implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');

  /** Runs once the processors have closed, that is after their active jobs finished. */
  beforeApplicationShutdown(): void {
    this.logger.log('worker stopping: active jobs finished, closing Redis and PostgreSQL');
  }
}
