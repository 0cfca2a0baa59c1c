import { Module } from '@nestjs/common';

/** Booking analytics for staff (issue 5). */
@Module({})
export class AnalyticsModule {}
