import { Module } from '@nestjs/common';

import { ConfigModule } from '@evently/config';
import { DatabaseModule } from '@evently/database';
import { UsersModule } from '@evently/users';

@Module({ imports: [ConfigModule, DatabaseModule, UsersModule] })
export class CliModule {}
