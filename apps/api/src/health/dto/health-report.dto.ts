import { ApiProperty } from '@nestjs/swagger';

export class HealthChecksDto {
  @ApiProperty({ enum: ['up', 'down'] }) database!: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down'] }) redis!: 'up' | 'down';
  @ApiProperty() workers!: number;
}

export class QueueStatsDto {
  @ApiProperty() waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() oldest_waiting_seconds!: number;
}

export class HealthReportDto {
  @ApiProperty({ enum: ['healthy', 'degraded', 'unhealthy'] }) status!: 'healthy' | 'degraded' | 'unhealthy';
  @ApiProperty({ enum: ['running', 'not running', 'unknown'], description: 'Kept for clients of the original API' })
  celery!: 'running' | 'not running' | 'unknown';
  @ApiProperty({ description: 'Live worker processes on the bookings queue' }) workers!: number;
  @ApiProperty({ example: 'redis://127.0.0.1:6379/0', description: 'The broker URL, password redacted' })
  broker!: string;
  @ApiProperty({ type: [String] }) processes!: string[];
  @ApiProperty() message!: string;
  @ApiProperty({ type: HealthChecksDto }) checks!: HealthChecksDto;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/QueueStatsDto' } })
  queues!: Record<string, QueueStatsDto>;
  @ApiProperty({ required: false, description: 'Only when not healthy, as in every error body' })
  error?: string;
  @ApiProperty({ required: false, example: 'workers', description: 'Only when not healthy: the failing parts' })
  details?: string;
}
