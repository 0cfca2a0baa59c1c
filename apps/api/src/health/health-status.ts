export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthFacts {
  database: boolean;
  redis: boolean;
  workers: number;
  /** Why live workers could not be counted (Redis refuses `CLIENT LIST`), if it does. */
  workersUncounted?: string;
  /** Age of the oldest booking job still waiting for a worker, in seconds. */
  oldestBookingJobSeconds: number;
}

/**
 * The status and the failing parts. Without the database or Redis nothing works (`unhealthy`); without a
 * worker, or with booking jobs waiting longer than `maxJobAgeSeconds` (0: never), bookings are accepted but
 * not settled in time (`degraded`).
 */
export function assessHealth(
  facts: HealthFacts,
  maxJobAgeSeconds: number,
): { status: HealthStatus; failing: string[] } {
  const backlog = maxJobAgeSeconds > 0 && facts.oldestBookingJobSeconds > maxJobAgeSeconds;
  const failing = [
    !facts.database && 'database',
    !facts.redis && 'redis',
    facts.workers === 0 && (facts.workersUncounted ? `workers (${facts.workersUncounted})` : 'workers'),
    backlog && `bookings queue (oldest waiting job ${facts.oldestBookingJobSeconds} s)`,
  ].filter((part): part is string => typeof part === 'string');
  const status = !facts.database || !facts.redis ? 'unhealthy' : failing.length > 0 ? 'degraded' : 'healthy';
  return { status, failing };
}
