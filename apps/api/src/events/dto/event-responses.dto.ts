import { ApiProperty } from '@nestjs/swagger';

import { decimalToNumber } from '@evently/common';
import {
  AdminEventDetailsRecord,
  AdminEventRecord,
  AvailabilityRecord,
  CreatedEventRecord,
  EventSummaryRecord,
  PublicEventRecord,
} from '@evently/events';

import { INT32 } from '../../common/openapi-types';
import { ListPageDto } from '../../common/pagination.dto';

export class CreatedEventDto {
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'Tech Conference 2030' }) name!: string;
  @ApiProperty({ example: 'Convention Center' }) venue!: string;
  @ApiProperty({ format: 'date-time', example: '2030-06-15T09:00:00Z' }) time!: string;
  @ApiProperty({ ...INT32, example: 500 }) capacity!: number;
}

/** The fields every event list shows. */
export class EventSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'Tech Conference 2030' }) name!: string;
  @ApiProperty({ example: 'Convention Center' }) venue!: string;
  @ApiProperty({ format: 'date-time', example: '2030-06-15T09:00:00Z' }) time!: string;
  @ApiProperty({ ...INT32, example: 500 }) capacity!: number;
  @ApiProperty({ ...INT32, example: 450 }) available_tickets!: number;
  @ApiProperty({ example: 150.0 }) price_per_ticket!: number;
  /** The organizer's username. */
  @ApiProperty({ example: 'admin_user' }) organizer!: string;
}

export class PublicEventDto extends EventSummaryDto {
  @ApiProperty({ nullable: true, type: String, example: 'Annual technology conference' }) description!: string | null;
}

export class PublicEventPageDto extends ListPageDto {
  @ApiProperty({
    ...INT32,
    description: 'Matching events: exact up to 1,000; beyond, an estimate (at least 1,001, exact on the last page)',
  })
  declare count: number;

  @ApiProperty({ type: [PublicEventDto] }) results!: PublicEventDto[];
}

export class AvailabilityDto {
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ ...INT32, example: 450 }) available_tickets!: number;
}

export class AdminEventDto extends EventSummaryDto {
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ format: 'date-time', example: '2030-01-01T10:00:00Z' }) created_at!: string;
}

export class AdminEventPageDto extends ListPageDto {
  @ApiProperty({ type: [AdminEventDto] }) results!: AdminEventDto[];
}

export class EventOrganizerDto {
  @ApiProperty({ ...INT32, example: 1 }) id!: number;
  @ApiProperty({ example: 'admin_user' }) username!: string;
  @ApiProperty({ example: 'admin@example.com' }) email!: string;
}

export class AdminEventDetailsDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'Tech Conference 2030' }) name!: string;
  @ApiProperty({ example: 'Convention Center' }) venue!: string;
  @ApiProperty({ format: 'date-time', example: '2030-06-15T09:00:00Z' }) time!: string;
  @ApiProperty({ ...INT32, example: 500 }) capacity!: number;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ example: 150.0 }) price_per_ticket!: number;
  @ApiProperty({ type: EventOrganizerDto }) organizer!: EventOrganizerDto;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ ...INT32, example: 450 }) available_tickets!: number;
  /** Confirmed bookings. */
  @ApiProperty({ ...INT32, example: 50 }) total_bookings!: number;
  /** Confirmed tickets over capacity, in percent with one decimal. */
  @ApiProperty({ example: 10.0 }) utilization_percentage!: number;
  @ApiProperty({ format: 'date-time', example: '2030-01-01T10:00:00Z' }) created_at!: string;
  @ApiProperty({ format: 'date-time', example: '2030-01-01T10:00:00Z' }) updated_at!: string;
}

export class DeletedEventDto {
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'deleted' }) status!: 'deleted';
}

export function mapCreatedEvent(record: CreatedEventRecord): CreatedEventDto {
  return {
    event_id: record.eventId,
    name: record.name,
    venue: record.venue,
    time: record.time,
    capacity: record.capacity,
  };
}

function mapEventSummary(record: EventSummaryRecord): EventSummaryDto {
  return {
    id: record.id,
    name: record.name,
    venue: record.venue,
    time: record.time,
    capacity: record.capacity,
    available_tickets: record.availableTickets,
    price_per_ticket: decimalToNumber(record.pricePerTicket),
    organizer: record.organizer,
  };
}

export function mapPublicEvent(record: PublicEventRecord): PublicEventDto {
  return { ...mapEventSummary(record), description: record.description };
}

export function mapAvailability(record: AvailabilityRecord): AvailabilityDto {
  return { event_id: record.eventId, available_tickets: record.availableTickets };
}

export function mapAdminEvent(record: AdminEventRecord): AdminEventDto {
  return { ...mapEventSummary(record), is_active: record.isActive, created_at: record.createdAt };
}

export function mapAdminEventDetails(record: AdminEventDetailsRecord): AdminEventDetailsDto {
  return {
    id: record.id,
    name: record.name,
    venue: record.venue,
    time: record.time,
    capacity: record.capacity,
    description: record.description,
    price_per_ticket: decimalToNumber(record.pricePerTicket),
    organizer: { ...record.organizer },
    is_active: record.isActive,
    available_tickets: record.availableTickets,
    total_bookings: record.totalBookings,
    utilization_percentage: record.utilizationPercentage,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
