export * from './batcher';
export * from './domain-errors';
export * from './iso-date';
export * from './money';
export * from './pagination';
export * from './validation';
export * from './logger.module';
export * from './job-log-context';
