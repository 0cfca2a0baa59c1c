import { Logger } from 'nestjs-pino';

import { describeFailure } from '@evently/common';
import { AppConfig } from '@evently/config';
import { databaseFailureHint } from '@evently/database';

import { createApiApp } from './api-app';
import { shutDownOnSignals } from './graceful-shutdown';
import { listenOnSharedSockets } from './listen-sockets';

async function bootstrap(): Promise<void> {
  const app = await createApiApp();
  const config = app.get(AppConfig);
  shutDownOnSignals(app);
  await listenOnSharedSockets(app, { port: config.port, host: config.listenHost, sockets: config.listenSockets });
  // Through the log, whose lines are written in batches: a line of its own would land amid the routes mapped before it.
  app
    .get(Logger)
    .log(
      `Evently api listening on http://localhost:${config.port} — Swagger UI: http://localhost:${config.port}/api/docs`,
    );
}

bootstrap().catch((error: unknown) => {
  console.error(`${describeFailure(error)}${databaseFailureHint(error)}`);
  process.exit(1);
});
