import { Controller, Get, Res } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { Public } from '@evently/auth';

import { ErrorBody } from '../common/error-body';
import { RETRY_SHORTLY } from '../common/http-exception.filter';
import { HealthReportDto, QueueStatsDto } from './dto/health-report.dto';
import { HealthService } from './health.service';

@ApiTags('system')
@ApiExtraModels(QueueStatsDto, HealthReportDto)
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /**
   * 200 when the database, Redis and at least one worker are up (and, where HEALTH_MAX_JOB_AGE_SECONDS is set,
   * booking jobs are not backing up); otherwise 503 naming what is wrong. Reports each queue's depth and oldest waiting job either way.
   */
  @Public()
  @Get()
  @ApiResponse({ status: 200, description: 'healthy', type: HealthReportDto })
  @ApiResponse({
    status: 503,
    description:
      '`degraded` (no worker, or, where HEALTH_MAX_JOB_AGE_SECONDS is set, a booking job waiting longer) or ' +
      '`unhealthy` (database or Redis down); `message` names the failing parts. While the api is overloaded or ' +
      'shutting down, an error body `{error, details}` with Retry-After instead',
    // anyOf, not oneOf: a health report carries `error` and `details` too, so it is an ErrorBody as well.
    schema: { anyOf: [{ $ref: getSchemaPath(HealthReportDto) }, { $ref: getSchemaPath(ErrorBody) }] },
  })
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReportDto> {
    const report = await this.health.check();
    if (report.status !== 'healthy') reply.status(503).headers(RETRY_SHORTLY);
    return report;
  }
}
