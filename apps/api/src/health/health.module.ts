import { Module } from '@nestjs/common';

import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { QueueStatsService } from './queue-stats.service';

@Module({
  controllers: [HealthController],
  providers: [HealthService, QueueStatsService],
  exports: [QueueStatsService],
})
export class HealthModule {}
