import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';

import { AppConfig } from '@evently/config';

import { databaseOptions } from './database-options';
import { ENTITIES } from './entities';
import { SchemaCheck } from './schema-check';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...databaseOptions({ url: config.databaseUrl, poolSize: config.databasePoolSize }),
        retryAttempts: 0,
      }),
    }),
    TypeOrmModule.forFeature(ENTITIES),
  ],
  providers: [SchemaCheck],
  exports: [TypeOrmModule],
})
export class DatabaseModule {}
