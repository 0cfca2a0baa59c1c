import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';

import { StaffOnly } from '@evently/auth';

import { ApiErrors, NOT_STAFF } from '../common/api-errors.decorator';
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
  @ApiOperation({ summary: 'Prometheus metrics. Staff only.' })
  // Content given on the 200 alone: @ApiProduces would make the JSON error responses text/plain too.
  @ApiResponse({
    status: 200,
    description: 'Prometheus text exposition format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrors(401, NOT_STAFF)
  metrics(): Promise<string> {
    return this.scrape.render();
  }
}
