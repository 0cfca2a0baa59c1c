export * from './job-producer.service';
export * from './outbox-relay.service';
export * from './queue-names';
export * from './queue.module';
export * from './queue-errors';
export * from './worker-name';
export * from './redis-grants';
