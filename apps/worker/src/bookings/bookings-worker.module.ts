import { Module } from '@nestjs/common';

import { BookingsModule } from '@evently/bookings';

import { ProcessorsClosingModule } from '../processors/processors-closing.module';
import { BookingSweeper } from './booking-sweeper.service';
import { BookingProcessor } from './booking.processor';

@Module({
  imports: [BookingsModule, ProcessorsClosingModule],
  providers: [BookingProcessor, BookingSweeper],
})
export class BookingsWorkerModule {}
