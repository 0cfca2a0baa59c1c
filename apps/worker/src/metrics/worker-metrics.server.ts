import { createServer, Server } from 'node:http';

import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

import { AppConfig } from '@evently/config';
import { Metrics } from '@evently/metrics';

/**
 * The worker's own Prometheus endpoint (`GET /metrics` on WORKER_METRICS_PORT; 0 disables it). Plain node:http:
 * the worker has no web framework, and this one route needs none. A taken port is logged, not fatal: a worker
 * without metrics still settles bookings.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const port = this.config.workerMetricsPort;
    if (port === 0) return;
    this.server = createServer((request, response) => {
      if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      this.metrics.render().then(
        (body) => response.writeHead(200, { 'Content-Type': this.metrics.contentType }).end(body),
        () => response.writeHead(500).end(),
      );
    });
    this.server.on('error', (error) => this.logger.error({ port, err: error.message }, 'metrics endpoint down'));
    this.server.listen(port, () => this.logger.log({ port }, 'worker metrics on /metrics'));
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.server?.listening) return;
    await new Promise((resolve) => this.server!.close(resolve));
  }
}
