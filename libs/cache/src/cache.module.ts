import { Global, Module } from '@nestjs/common';

import { RedisService } from './redis.service';
import { ResponseCache } from './response-cache.service';
import { VersionWatch } from './version-watch';

@Global()
@Module({
  providers: [RedisService, VersionWatch, ResponseCache],
  exports: [RedisService, ResponseCache],
})
export class CacheModule {}
