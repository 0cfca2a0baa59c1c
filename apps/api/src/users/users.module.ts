import { Module } from '@nestjs/common';

import { UsersModule as UsersDomainModule } from '@evently/users';

import { AuthController } from './auth.controller';

@Module({
  imports: [UsersDomainModule],
  controllers: [AuthController],
})
export class UsersModule {}
