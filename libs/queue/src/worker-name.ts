import { hostname } from 'node:os';

/**
 * The name this process's BullMQ workers carry: stored on each job they process and in their Redis connections'
 * names (`<queue>:w:<name>`), where the container healthcheck finds its own worker by host name, whatever address
 * NAT or a proxy shows Redis.
 */
export const WORKER_NAME = `${hostname()}:${process.pid}`;
