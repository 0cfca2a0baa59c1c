import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { createApiApp } from '../../apps/api/src/api-app';
import { WorkerModule } from '../../apps/worker/src/worker.module';

/** The real api application, initialised in-process for supertest (`app.getHttpServer()`). */
export async function createTestApp(): Promise<NestFastifyApplication> {
  const app = await createApiApp();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** The real worker application, in-process, for tests that need bookings settled. */
export async function startTestWorker(): Promise<INestApplicationContext> {
  const worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
  await worker.init();
  return worker;
}

export function dataSourceOf(app: INestApplicationContext): DataSource {
  return app.get(DataSource);
}
