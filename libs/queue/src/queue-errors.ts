import { LoggerService } from '@nestjs/common';

/** After a logged error, the others for this long are only counted. */
export const QUEUE_ERROR_QUIET_MS = 10_000;

interface ErrorEmitter {
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Logs the 'error' events of a BullMQ queue or worker (a lost Redis connection, a failed lock renewal) through the
 * app's logger. Without a listener BullMQ prints each to stderr as a bare stack trace, several a second while Redis
 * is away; here the first is a warning line and the rest at most one per {@link QUEUE_ERROR_QUIET_MS}, each counting
 * those left unlogged before it.
 */
export function logQueueErrors(emitter: ErrorEmitter, logger: LoggerService, source: string): void {
  let loggedAt = -Infinity;
  let unlogged = 0;
  emitter.on('error', (error) => {
    const now = Date.now();
    if (now - loggedAt < QUEUE_ERROR_QUIET_MS) {
      unlogged++;
      return;
    }
    logger.warn({ source, err: error.message, unlogged_since_last: unlogged }, `${source}: ${error.message}`);
    loggedAt = now;
    unlogged = 0;
  });
}
