import { Module } from '@nestjs/common';

import { CacheModule } from '@evently/cache';
import { ConfigModule } from '@evently/config';
import { DatabaseModule } from '@evently/database';
import { UsersModule } from '@evently/users';

@Module({ imports: [ConfigModule, DatabaseModule, CacheModule, UsersModule] })
export class CliModule {}
