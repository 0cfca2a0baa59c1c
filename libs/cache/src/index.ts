export * from './cache-invalidation.service';
export * from './cache-keys';
export * from './cache.module';
export * from './near-cache';
export * from './redis.service';
export * from './response-cache.service';
export * from './second-request-admission';
export * from './version-watch';
