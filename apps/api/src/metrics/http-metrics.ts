import { NestFastifyApplication } from '@nestjs/platform-fastify';

import { Metrics } from '@evently/metrics';

/**
 * Times every response by method, route template (`/api/bookings/:id`, never the raw URL, so the label set
 * stays bounded) and status; requests that match no route share the template `unmatched`.
 */
export function registerHttpMetrics(app: NestFastifyApplication): void {
  const histogram = app.get(Metrics).httpRequestDuration;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      histogram.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });
}
