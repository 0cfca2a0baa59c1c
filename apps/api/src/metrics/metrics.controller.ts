import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';

import { StaffOnly } from '@evently/auth';

import { ApiErrors } from '../common/api-errors.decorator';
import { MetricsScrapeService } from './metrics-scrape.service';

@ApiTags('system')
@ApiSecurity('token')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly scrape: MetricsScrapeService) {}

  /**
   * This api process's metrics in Prometheus' text format, plus the shared queue, outbox and booking gauges.
   * Workers export their own counters on WORKER_METRICS_PORT. See docs/operations.md for each metric.
   */
  @StaffOnly()
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Prometheus metrics (staff)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text exposition format', type: String })
  @ApiErrors(401, 403)
  metrics(): Promise<string> {
    return this.scrape.render();
  }
}
