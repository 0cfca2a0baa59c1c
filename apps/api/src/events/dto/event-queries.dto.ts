import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';

import {
  CharLength,
  HasNoNulBytes,
  IsNonNegativeDecimal,
  IsOrdering,
  parseOrdering,
  QueryBoolean,
  QueryDecimal,
} from '@evently/common';
import {
  ADMIN_ORDER_FIELDS,
  AdminEventFilter,
  EVENT_STATUSES,
  PUBLIC_ORDER_FIELDS,
  PublicEventFilter,
} from '@evently/events';
import type { EventStatus } from '@evently/events';

import { PaginationQueryDto } from '../../common/pagination.dto';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class PublicEventsQueryDto extends PaginationQueryDto {
  /**
   * Terms separated by spaces or commas (a "quoted phrase" is one term), each a case-insensitive substring of the
   * name, venue or description; `%` and `_` match literally.
   */
  @ApiProperty({ required: false, maxLength: 255 })
  @IsOptional()
  @IsString()
  @CharLength(0, 255)
  @HasNoNulBytes()
  search?: string;

  /** Events on or after this day (UTC), e.g. `2030-06-01`. */
  @ApiProperty({ required: false, format: 'date' })
  @IsOptional()
  @Matches(DAY, { message: 'date_from must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true })
  date_from?: string;

  /** Events on or before this day (UTC), e.g. `2030-06-30`. */
  @ApiProperty({ required: false, format: 'date' })
  @IsOptional()
  @Matches(DAY, { message: 'date_to must be a date as YYYY-MM-DD' })
  @IsISO8601({ strict: true })
  date_to?: string;

  /** The venue's whole name, case-insensitively (`search` matches part of it). */
  @ApiProperty({ required: false, maxLength: 255 })
  @IsOptional()
  @IsString()
  @CharLength(0, 255)
  @HasNoNulBytes()
  venue?: string;

  /** Events priced at least this; compared exactly, as a decimal. */
  @ApiProperty({ required: false, type: 'number', minimum: 0 })
  @IsOptional()
  @QueryDecimal()
  @IsNonNegativeDecimal()
  min_price?: string;

  /** Events priced at most this; compared exactly, as a decimal. */
  @ApiProperty({ required: false, type: 'number', minimum: 0 })
  @IsOptional()
  @QueryDecimal()
  @IsNonNegativeDecimal()
  max_price?: string;

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

  /**
   * Fields to sort by in turn, separated by commas, from `time`, `created_at` and `price_per_ticket`; a `-` prefix
   * sorts descending, e.g. `price_per_ticket,-time`. An unknown field is 400.
   */
  @ApiProperty({ required: false, default: 'time' })
  @IsOptional()
  @IsOrdering(PUBLIC_ORDER_FIELDS)
  ordering?: string;
}

export class AdminEventsQueryDto extends PaginationQueryDto {
  @ApiProperty({ required: false, enum: EVENT_STATUSES })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: EventStatus;

  /** The venue's whole name, case-insensitively (`search` matches part of it). */
  @ApiProperty({ required: false, maxLength: 255 })
  @IsOptional()
  @IsString()
  @CharLength(0, 255)
  @HasNoNulBytes()
  venue?: string;

  @ApiProperty({ required: false })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  is_active?: boolean;

  /**
   * Terms separated by spaces or commas (a "quoted phrase" is one term), each a case-insensitive substring of the
   * name or venue; `%` and `_` match literally.
   */
  @ApiProperty({ required: false, maxLength: 255 })
  @IsOptional()
  @IsString()
  @CharLength(0, 255)
  @HasNoNulBytes()
  search?: string;

  /**
   * Fields to sort by in turn, separated by commas, from `time`, `created_at` and `capacity`; a `-` prefix sorts
   * descending, e.g. `-capacity,time`. Newest first by default; an unknown field is 400.
   */
  @ApiProperty({ required: false, default: '-created_at' })
  @IsOptional()
  @IsOrdering(ADMIN_ORDER_FIELDS)
  ordering?: string;
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
    ordering: orderingOr(parseOrdering(query.ordering ?? '', PUBLIC_ORDER_FIELDS), 'time'),
  };
}

export function toAdminEventFilter(query: AdminEventsQueryDto): AdminEventFilter {
  return {
    status: query.status,
    venue: query.venue || undefined,
    isActive: query.is_active,
    search: query.search || undefined,
    ordering: orderingOr(parseOrdering(query.ordering ?? '', ADMIN_ORDER_FIELDS), '-created_at'),
  };
}

/** A validated ordering, or the view's default when it names no field (`ordering=,`). */
function orderingOr<T extends string>(ordering: T[] | undefined, fallback: T): T[] {
  return ordering && ordering.length > 0 ? ordering : [fallback];
}
