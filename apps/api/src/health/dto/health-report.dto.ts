import { ApiProperty } from '@nestjs/swagger';

export class HealthChecksDto {
  @ApiProperty({ enum: ['up', 'down'], enumName: 'ServiceState' }) database!: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down'], enumName: 'ServiceState' }) redis!: 'up' | 'down';
  @ApiProperty({ type: 'integer' }) workers!: number;
}

export class QueueStatsDto {
  @ApiProperty({ type: 'integer', description: 'Jobs waiting for a worker' }) waiting!: number;
  @ApiProperty({ type: 'integer', description: 'Jobs a worker is running now' }) active!: number;
  @ApiProperty({ type: 'integer', description: 'Jobs waiting for a retry or a delay' }) delayed!: number;
  @ApiProperty({ type: 'integer', description: 'Jobs that failed for good (kept 7 days)' }) failed!: number;
  @ApiProperty({ type: 'integer', description: 'Age of the oldest waiting job; 0 when none waits' })
  oldest_waiting_seconds!: number;
}

export class HealthReportDto {
  @ApiProperty({ enum: ['healthy', 'degraded', 'unhealthy'] }) status!: 'healthy' | 'degraded' | 'unhealthy';
  @ApiProperty({ enum: ['running', 'not running', 'unknown'], description: 'Kept for clients of the original API' })
  celery!: 'running' | 'not running' | 'unknown';
  @ApiProperty({ type: 'integer', description: 'Live worker processes on the bookings queue' }) workers!: number;
  @ApiProperty({ example: 'redis://127.0.0.1:6379/0', description: 'The broker URL, password redacted' })
  broker!: string;
  @ApiProperty({
    type: [String],
    description: 'Each live worker process by its name, `<host>:<pid>`',
    example: ['worker-7c9f:1'],
  })
  processes!: string[];
  @ApiProperty() message!: string;
  @ApiProperty({ type: HealthChecksDto }) checks!: HealthChecksDto;
  @ApiProperty({
    description: 'Depth and oldest waiting job of each queue (`bookings`, `mail`); empty while Redis is down',
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/QueueStatsDto' },
  })
  queues!: Record<string, QueueStatsDto>;
  @ApiProperty({ required: false, description: 'Only when not healthy, as in every error body' })
  error?: string;
  @ApiProperty({ required: false, example: 'workers', description: 'Only when not healthy: the failing parts' })
  details?: string;
}
