import { Module } from '@nestjs/common';

import { BookingAllocator } from './booking-allocator.service';
import { BookingIntake } from './booking-intake.service';
import { BookingsService } from './bookings.service';
import { MailRushPause } from './mail-rush-pause.service';

@Module({
  providers: [BookingAllocator, BookingIntake, BookingsService, MailRushPause],
  exports: [BookingAllocator, BookingsService],
})
export class BookingsModule {}
