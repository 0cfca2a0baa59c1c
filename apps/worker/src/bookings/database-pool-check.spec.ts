import { AppConfig } from '@evently/config';

import { databasePoolShortfall } from './database-pool-check';

describe('databasePoolShortfall', () => {
  const config = (env: Record<string, string>) => AppConfig.fromEnvironment(env);

  it('accepts the defaults: 16 booking jobs and 4 mail jobs on 20 connections', () => {
    expect(databasePoolShortfall(config({}))).toBeUndefined();
  });

  it('names the pool size a worker needs when its pool is smaller', () => {
    expect(databasePoolShortfall(config({ WORKER_CONCURRENCY: '48', DB_POOL_SIZE: '20' }))).toContain(
      'raise DB_POOL_SIZE to 52',
    );
  });
});
