import { Module } from '@nestjs/common';

import { BookingsModule as BookingsDomainModule } from '@evently/bookings';

import { BookingsController } from './bookings.controller';

@Module({
  imports: [BookingsDomainModule],
  controllers: [BookingsController],
})
export class BookingsModule {}
