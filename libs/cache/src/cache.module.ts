import { Global, Module } from '@nestjs/common';

import { CacheInvalidation } from './cache-invalidation.service';
import { RedisService } from './redis.service';
import { ResponseCache } from './response-cache.service';
import { VersionWatch } from './version-watch';

@Global()
@Module({
  providers: [RedisService, VersionWatch, ResponseCache, CacheInvalidation],
  exports: [RedisService, ResponseCache, CacheInvalidation],
})
export class CacheModule {}
