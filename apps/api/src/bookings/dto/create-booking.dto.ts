import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';

import { BookingRequest, MAX_TICKETS_PER_BOOKING } from '@evently/bookings';
import { TextInteger } from '@evently/common';
import { User } from '@evently/database';

import { MAX_INT_ID } from '../../common/id-params';
import { INT32 } from '../../common/openapi-types';

export class CreateBookingDto {
  /** Must be the caller's own id (staff may book for anyone); defaults to the caller. */
  // No example: any fixed id is someone else's for most callers, and "Try it out" would answer 403.
  @ApiProperty({ required: false, ...INT32 })
  @IsOptional()
  @TextInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_INT_ID)
  user_id?: number;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  event_id!: string;

  @ApiProperty({ ...INT32, minimum: 1, maximum: MAX_TICKETS_PER_BOOKING, example: 2 })
  @TextInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_TICKETS_PER_BOOKING)
  number_of_tickets!: number;
}

/** The booking asked for: the caller's own unless `user_id` names another, the event id as the database spells it. */
export function toBookingRequest(dto: CreateBookingDto, caller: User): BookingRequest {
  return { userId: dto.user_id ?? caller.id, eventId: dto.event_id.toLowerCase(), ticketCount: dto.number_of_tickets };
}
