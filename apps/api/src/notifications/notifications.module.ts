import { Module } from '@nestjs/common';

/** Notifying an event's attendees (issue 5). */
@Module({})
export class NotificationsModule {}
