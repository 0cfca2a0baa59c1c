import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsNumber, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

import { HasNoNulBytes, QueryBoolean, QueryNumber } from '@evently/common';
import {
  ADMIN_ORDERINGS,
  AdminEventFilter,
  EVENT_STATUSES,
  PUBLIC_ORDERINGS,
  PublicEventFilter,
} from '@evently/events';
import type { AdminOrdering, EventStatus, PublicOrdering } from '@evently/events';

import { PaginationQueryDto } from '../../common/pagination.dto';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class PublicEventsQueryDto extends PaginationQueryDto {
  /** Case-insensitive substring of the name, venue or description; `%` and `_` match literally. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @HasNoNulBytes()
  search?: string;

  /** Events on or after this day (UTC). */
  @ApiProperty({ required: false, example: '2030-06-01', format: 'date' })
  @IsOptional()
  @Matches(DAY, { message: 'date_from must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true })
  date_from?: string;

  /** Events on or before this day (UTC). */
  @ApiProperty({ required: false, example: '2030-06-30', format: 'date' })
  @IsOptional()
  @Matches(DAY, { message: 'date_to must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true })
  date_to?: string;

  /** The venue, case-insensitively. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @HasNoNulBytes()
  venue?: string;

  @IsOptional()
  @QueryNumber()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  min_price?: number;

  @IsOptional()
  @QueryNumber()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_price?: number;

  /** Only events with at least one ticket left. */
  @ApiProperty({ required: false, default: false })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  available_only?: boolean;

  /** Only events that have not started yet. */
  @ApiProperty({ required: false, default: true })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  upcoming_only?: boolean;

  /** A `-` prefix sorts descending. */
  @ApiProperty({ required: false, enum: PUBLIC_ORDERINGS, default: 'time' })
  @IsOptional()
  @IsIn(PUBLIC_ORDERINGS)
  ordering?: PublicOrdering;
}

export class AdminEventsQueryDto extends PaginationQueryDto {
  @ApiProperty({ required: false, enum: EVENT_STATUSES })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: EventStatus;

  /** The venue, case-insensitively. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @HasNoNulBytes()
  venue?: string;

  @ApiProperty({ required: false })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  is_active?: boolean;

  /** Case-insensitive substring of the name or venue; `%` and `_` match literally. */
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @HasNoNulBytes()
  search?: string;

  /** A `-` prefix sorts descending; newest first by default. */
  @ApiProperty({ required: false, enum: ADMIN_ORDERINGS, default: '-created_at' })
  @IsOptional()
  @IsIn(ADMIN_ORDERINGS)
  ordering?: AdminOrdering;
}

export function toPublicEventFilter(query: PublicEventsQueryDto): PublicEventFilter {
  return {
    search: query.search || undefined,
    dateFrom: query.date_from,
    dateTo: query.date_to,
    venue: query.venue || undefined,
    minPrice: query.min_price,
    maxPrice: query.max_price,
    availableOnly: query.available_only ?? false,
    upcomingOnly: query.upcoming_only ?? true,
    ordering: query.ordering ?? 'time',
  };
}

export function toAdminEventFilter(query: AdminEventsQueryDto): AdminEventFilter {
  return {
    status: query.status,
    venue: query.venue || undefined,
    isActive: query.is_active,
    search: query.search || undefined,
    ordering: query.ordering ?? '-created_at',
  };
}
