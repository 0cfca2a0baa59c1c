import { Module } from '@nestjs/common';

import { BookingAllocator } from './booking-allocator.service';
import { BookingsService } from './bookings.service';

@Module({
  providers: [BookingAllocator, BookingsService],
  exports: [BookingAllocator, BookingsService],
})
export class BookingsModule {}
