import { Global, Module } from '@nestjs/common';

import { RedisService } from './redis.service';
import { ResponseCache } from './response-cache.service';

@Global()
@Module({
  providers: [RedisService, ResponseCache],
  exports: [RedisService, ResponseCache],
})
export class CacheModule {}
