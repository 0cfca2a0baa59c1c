import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';

import { AppConfig } from './app-config';

/** Loads `.env` (when present), validates the environment once and provides {@link AppConfig}. */
@Global()
@Module({
  imports: [NestConfigModule.forRoot({ ignoreEnvFile: process.env.NODE_ENV === 'test' })],
  providers: [{ provide: AppConfig, useFactory: () => AppConfig.fromEnvironment() }],
  exports: [AppConfig],
})
export class ConfigModule {}
