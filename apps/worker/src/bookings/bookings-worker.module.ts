import { Module } from '@nestjs/common';

import { BookingsModule } from '@evently/bookings';

import { BookingSweeper } from './booking-sweeper.service';
import { BookingProcessor } from './booking.processor';

@Module({
  imports: [BookingsModule],
  providers: [BookingProcessor, BookingSweeper],
})
export class BookingsWorkerModule {}
