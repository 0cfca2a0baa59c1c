import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AppConfig } from '@evently/config';

import { databaseOptions } from './database-options';
import { ENTITIES } from './entities';
import { assertSchemaCurrent } from './schema-check';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...databaseOptions({ url: config.databaseUrl, poolSize: config.databasePoolSize }),
        retryAttempts: 0,
      }),
      // Checked here, before any module's start-up hook: a worker must not take a job on a schema it cannot use.
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        try {
          await assertSchemaCurrent(dataSource);
        } catch (error) {
          await dataSource.destroy();
          throw error;
        }
        return dataSource;
      },
    }),
    TypeOrmModule.forFeature(ENTITIES),
  ],
  exports: [TypeOrmModule],
})
export class DatabaseModule {}
