import { hostname } from 'node:os';

/**
 * The name this process's BullMQ workers carry: stored on each job they process and in their Redis connections'
 * names (`<queue>:w:<name>`), where the container healthcheck finds its own worker by host name, whatever address
 * NAT or a proxy shows Redis.
 */
export const WORKER_NAME = `${hostname()}:${process.pid}`;

/** The name a worker's connection carries after BullMQ's `:w:` (`<queue prefix>:w:<name>`); none for an unnamed one. */
export function workerNameIn(connectionName: string): string | undefined {
  const named = connectionName.lastIndexOf(':w:');
  return named >= 0 ? connectionName.slice(named + 3) : undefined;
}
