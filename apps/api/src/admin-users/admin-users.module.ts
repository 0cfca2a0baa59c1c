import { Module } from '@nestjs/common';

/** Staff creation and bulk deletion of test users (issue 3). */
@Module({})
export class AdminUsersModule {}
