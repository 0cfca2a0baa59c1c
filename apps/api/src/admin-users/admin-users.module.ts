import { Module } from '@nestjs/common';

import { EventsModule as EventsDomainModule } from '@evently/events';

import { AdminUsersController } from './admin-users.controller';

/** Staff creation and bulk deletion of test users (issue 3). */
@Module({
  imports: [EventsDomainModule],
  controllers: [AdminUsersController],
})
export class AdminUsersModule {}
