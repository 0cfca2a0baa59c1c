import { ApiProperty } from '@nestjs/swagger';

import { INT32 } from '../../common/openapi-types';
import type { AnalyticsOverview, EventAnalytics } from '../analytics.service';

class PopularEventDto {
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'Tech Conference 2024' }) name!: string;
  /** Bookings of the event that have been confirmed (including those cancelled since). */
  @ApiProperty({ ...INT32, example: 450 }) bookings!: number;
}

class CapacityUtilizationDto {
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'Tech Conference 2024' }) name!: string;
  /** Tickets of confirmed bookings / capacity × 100, one decimal. */
  @ApiProperty({ example: 90.0 }) utilization_percentage!: number;
}

export class AnalyticsOverviewDto {
  /** Bookings that have been confirmed (confirmed now, or cancelled after confirmation), over events not deleted. */
  @ApiProperty({ ...INT32, example: 1250 }) total_bookings!: number;
  /** Up to 10 events with the most counted bookings, most first (ties by name). */
  @ApiProperty({ type: [PopularEventDto] }) most_popular_events!: PopularEventDto[];
  /** Up to 10 events with the highest utilization, highest first; events with no confirmed tickets are left out. */
  @ApiProperty({ type: [CapacityUtilizationDto] }) capacity_utilization!: CapacityUtilizationDto[];
}

class DailyBookingsDto {
  /** A UTC day, `YYYY-MM-DD`, on which counted bookings were made. */
  @ApiProperty({ format: 'date', example: '2024-01-01' }) date!: string;
  @ApiProperty({ ...INT32, example: 15 }) bookings!: number;
}

export class EventAnalyticsDto {
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  /** Bookings of this event that have been confirmed (confirmed now, or cancelled after confirmation). */
  @ApiProperty({ ...INT32, example: 450 }) total_bookings!: number;
  /** Counted bookings cancelled since / counted bookings × 100, one decimal; 0 when there are none. */
  @ApiProperty({ example: 5.2 }) cancellation_rate!: number;
  /** Counted bookings per UTC day of booking, oldest first; days without any are omitted. */
  @ApiProperty({ type: [DailyBookingsDto] }) daily_bookings!: DailyBookingsDto[];
}

export function mapAnalyticsOverview(overview: AnalyticsOverview): AnalyticsOverviewDto {
  return {
    total_bookings: overview.totalBookings,
    most_popular_events: overview.mostPopularEvents.map((event) => ({
      event_id: event.eventId,
      name: event.name,
      bookings: event.bookings,
    })),
    capacity_utilization: overview.capacityUtilization.map((event) => ({
      event_id: event.eventId,
      name: event.name,
      utilization_percentage: event.utilizationPercentage,
    })),
  };
}

export function mapEventAnalytics(analytics: EventAnalytics): EventAnalyticsDto {
  return {
    event_id: analytics.eventId,
    total_bookings: analytics.totalBookings,
    cancellation_rate: analytics.cancellationRate,
    daily_bookings: analytics.dailyBookings,
  };
}
