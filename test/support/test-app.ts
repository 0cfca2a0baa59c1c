import { once } from 'node:events';

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { RedisService } from '@evently/cache';

import { createApiApp } from '../../apps/api/src/api-app';
import { WorkerModule } from '../../apps/worker/src/worker.module';

/**
 * The real api application, initialised in-process for supertest (`app.getHttpServer()`), once its Redis
 * connection is up: it connects in the background, and a loaded machine can take longer than a test's first
 * request. Tests of an api without Redis pass `{ awaitRedis: false }`.
 */
export async function createTestApp({ awaitRedis = true } = {}): Promise<NestFastifyApplication> {
  const app = await createApiApp();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const redis = app.get(RedisService).client;
  if (awaitRedis && redis.status !== 'ready') await once(redis, 'ready');
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
