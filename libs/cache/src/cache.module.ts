import { createKeyvNonBlocking } from '@keyv/redis';
import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';

import { AppConfig } from '@evently/config';

import { RedisService } from './redis.service';
import { ResponseCache } from './response-cache.service';

@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        stores: [createKeyvNonBlocking(config.redisUrl, { namespace: `${config.redisPrefix}:cache` })],
      }),
    }),
  ],
  providers: [RedisService, ResponseCache],
  exports: [RedisService, ResponseCache],
})
export class CacheModule {}
