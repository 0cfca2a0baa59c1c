import { Module } from '@nestjs/common';

import { BookingAllocator } from './booking-allocator.service';
import { BookingIntake } from './booking-intake.service';
import { BookingsService } from './bookings.service';

@Module({
  providers: [BookingAllocator, BookingIntake, BookingsService],
  exports: [BookingAllocator, BookingsService],
})
export class BookingsModule {}
