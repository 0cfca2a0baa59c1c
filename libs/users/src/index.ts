export * from './accounts.service';
export * from './password-policy';
export * from './tokens.service';
export * from './users.module';
export * from './username';
export * from './users.service';
