import { Module } from '@nestjs/common';

import { EventsModule as EventsDomainModule } from '@evently/events';

import { AdminEventsController } from './admin-events.controller';
import { AvailabilityController } from './availability.controller';
import { PublicEventsController } from './public-events.controller';

/** Admin event management, public browsing and availability (issue 3). */
@Module({
  imports: [EventsDomainModule],
  controllers: [AdminEventsController, PublicEventsController, AvailabilityController],
})
export class EventsModule {}
