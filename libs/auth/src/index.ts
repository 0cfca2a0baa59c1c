export * from './auth.decorators';
export * from './authenticated-request';
export * from './token-auth.guard';
