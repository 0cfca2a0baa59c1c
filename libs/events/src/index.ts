export * from './event-catalog.service';
export * from './event-filters';
export * from './event-queries.service';
export * from './event-records';
export * from './events.module';
export * from './events.service';
export * from './staff-users.service';
