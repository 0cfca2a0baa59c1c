import { Module } from '@nestjs/common';

import { UsersModule } from '@evently/users';

import { EventCatalog } from './event-catalog.service';
import { EventQueries } from './event-queries.service';
import { EventsService } from './events.service';
import { StaffUsersService } from './staff-users.service';

/** Events (admin writes, admin and public reads) and the staff/test-user administration that touches their seats. */
@Module({
  imports: [UsersModule],
  providers: [EventQueries, EventCatalog, EventsService, StaffUsersService],
  exports: [EventQueries, EventCatalog, EventsService, StaffUsersService],
})
export class EventsModule {}
