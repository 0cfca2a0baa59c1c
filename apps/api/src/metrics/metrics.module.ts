import { Module } from '@nestjs/common';

import { HealthModule } from '../health/health.module';
import { MetricsController } from './metrics.controller';
import { MetricsScrapeService } from './metrics-scrape.service';

/** `GET /api/metrics` for Prometheus; the counters themselves come from the global `@evently/metrics`. */
@Module({ imports: [HealthModule], controllers: [MetricsController], providers: [MetricsScrapeService] })
export class MetricsEndpointModule {}
