import { ApiProperty } from '@nestjs/swagger';

import { decimalToNumber, toIsoUtc } from '@evently/common';
import { Booking, BOOKING_STATUSES } from '@evently/database';
import type { BookingStatus } from '@evently/database';

import { INT32 } from '../../common/openapi-types';
import { ListPageDto } from '../../common/pagination.dto';

class BookingEventRefDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

class BookingUserRefDto {
  @ApiProperty({ ...INT32, example: 1 }) id!: number;
  @ApiProperty() username!: string;
}

export class BookingDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: BookingEventRefDto }) event!: BookingEventRefDto;
  @ApiProperty({ type: BookingUserRefDto }) user!: BookingUserRefDto;
  @ApiProperty({ ...INT32, example: 2 }) ticket_count!: number;
  @ApiProperty({ example: 300.0 }) total_amount!: number;
  @ApiProperty({ format: 'date-time', example: '2024-01-15T10:30:00Z' }) booking_date!: string;
  @ApiProperty({ enum: BOOKING_STATUSES, enumName: 'BookingStatus' }) status!: BookingStatus;
  @ApiProperty({ nullable: true, type: String, description: 'Why the worker failed the booking' })
  failure_reason!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "A label for this booking's settlement (`settle-<id>`), not a queue job's id: its event's settle job settles it",
  })
  task_id!: string | null;
}

class BookingHistoryEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() venue!: string;
  @ApiProperty({ format: 'date-time', example: '2024-06-15T09:00:00Z' }) time!: string;
}

export class BookingHistoryItemDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: BookingHistoryEventDto }) event!: BookingHistoryEventDto;
  @ApiProperty({ ...INT32 }) ticket_count!: number;
  @ApiProperty() total_amount!: number;
  @ApiProperty({ format: 'date-time' }) booking_date!: string;
  @ApiProperty({ enum: BOOKING_STATUSES, enumName: 'BookingStatus' }) status!: BookingStatus;
}

export class BookingHistoryPageDto extends ListPageDto {
  @ApiProperty({ type: [BookingHistoryItemDto] }) results!: BookingHistoryItemDto[];
}

export class CancelledBookingDto {
  @ApiProperty({ format: 'uuid' }) booking_id!: string;
  @ApiProperty({ example: 'cancelled' }) status!: 'cancelled';
}

export function mapBooking(booking: Booking): BookingDto {
  return {
    id: booking.id,
    event: { id: booking.event!.id, name: booking.event!.name },
    user: { id: booking.user!.id, username: booking.user!.username },
    ticket_count: booking.ticketCount,
    total_amount: decimalToNumber(booking.totalAmount),
    booking_date: toIsoUtc(booking.bookingDate),
    status: booking.status,
    failure_reason: booking.failureReason,
    task_id: booking.taskId,
  };
}

export function mapBookingHistoryItem(booking: Booking): BookingHistoryItemDto {
  return {
    id: booking.id,
    event: {
      id: booking.event!.id,
      name: booking.event!.name,
      venue: booking.event!.venue,
      time: toIsoUtc(booking.event!.time),
    },
    ticket_count: booking.ticketCount,
    total_amount: decimalToNumber(booking.totalAmount),
    booking_date: toIsoUtc(booking.bookingDate),
    status: booking.status,
  };
}
