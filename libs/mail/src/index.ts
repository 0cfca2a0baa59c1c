export * from './mail-message';
export * from './mail.module';
export * from './mail.service';
export * from './smtp-transport';
