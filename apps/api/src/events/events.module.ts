import { Module } from '@nestjs/common';

/** Admin event management, public browsing and availability (issue 3). */
@Module({})
export class EventsModule {}
