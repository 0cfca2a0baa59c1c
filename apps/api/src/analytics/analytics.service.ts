import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { CACHE_TTL_MS, cacheKeys, ResponseCache } from '@evently/cache';
import { NotFoundError } from '@evently/common';

export interface EventBookings {
  eventId: string;
  name: string;
  bookings: number;
}

export interface EventUtilization {
  eventId: string;
  name: string;
  utilizationPercentage: number;
}

export interface AnalyticsOverview {
  totalBookings: number;
  mostPopularEvents: EventBookings[];
  capacityUtilization: EventUtilization[];
}

export interface EventAnalytics {
  eventId: string;
  totalBookings: number;
  cancellationRate: number;
  dailyBookings: { date: string; bookings: number }[];
}

const TOP = 10;
/** A booking counts once it has been confirmed, whatever happened to it since. */
const COUNTED = `b.confirmed_at IS NOT NULL`;

/**
 * Booking analytics, computed by SQL aggregates and cached for 30 minutes under keys whose versions every
 * booking change bumps (CacheInvalidation), so a read after a change is always fresh. Each
 * answer reads one snapshot (REPEATABLE READ), so its numbers agree with each other.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: ResponseCache,
  ) {}

  overview(): Promise<AnalyticsOverview> {
    return this.cache.read(cacheKeys.analyticsVersion(), cacheKeys.analyticsOverview(), CACHE_TTL_MS.analytics, () =>
      this.dataSource.transaction('REPEATABLE READ', (manager) => this.loadOverview(manager)),
    );
  }

  forEvent(eventId: string): Promise<EventAnalytics> {
    return this.cache.read(
      cacheKeys.eventVersion(eventId),
      cacheKeys.eventAnalytics(eventId),
      CACHE_TTL_MS.analytics,
      () => this.dataSource.transaction('REPEATABLE READ', (manager) => this.loadEvent(manager, eventId)),
    );
  }

  /**
   * Live events only: deleted events drop out of the totals and the top lists. The bookings are counted per event
   * first, from the confirmed bookings' index alone, and the total is the sum of the live events' counts: one pass
   * over the index, where counting through the events looked up each event's bookings in turn.
   */
  private async loadOverview(manager: EntityManager): Promise<AnalyticsOverview> {
    const popular: { event_id: string; name: string; bookings: number; total: number }[] = await manager.query(
      `WITH counted AS (
         SELECT b.event_id, count(*)::int AS bookings FROM bookings b WHERE ${COUNTED} GROUP BY b.event_id
       )
       SELECT e.id AS event_id, e.name, c.bookings, sum(c.bookings) OVER ()::int AS total
         FROM counted c JOIN events e ON e.id = c.event_id
        WHERE e.deleted_at IS NULL
        ORDER BY c.bookings DESC, e.name, e.id
        LIMIT $1`,
      [TOP],
    );
    const total = popular[0]?.total ?? 0;
    const utilization: { event_id: string; name: string; utilization: number }[] = await manager.query(
      `SELECT id AS event_id, name, round(booked_tickets * 100.0 / capacity, 1)::float8 AS utilization
         FROM events
        WHERE deleted_at IS NULL AND booked_tickets > 0
        ORDER BY utilization DESC, name, id
        LIMIT $1`,
      [TOP],
    );
    return {
      totalBookings: total,
      mostPopularEvents: popular.map((row) => ({ eventId: row.event_id, name: row.name, bookings: row.bookings })),
      capacityUtilization: utilization.map((row) => ({
        eventId: row.event_id,
        name: row.name,
        utilizationPercentage: row.utilization,
      })),
    };
  }

  /** Deleted events stay readable here, so staff can still look back at them. */
  private async loadEvent(manager: EntityManager, eventId: string): Promise<EventAnalytics> {
    const [totals]: { total: number; rate: number }[] = await manager.query(
      `SELECT count(*) FILTER (WHERE ${COUNTED})::int AS total,
              coalesce(round(count(*) FILTER (WHERE ${COUNTED} AND b.status = 'cancelled') * 100.0
                             / nullif(count(*) FILTER (WHERE ${COUNTED}), 0), 1), 0)::float8 AS rate
         FROM events e LEFT JOIN bookings b ON b.event_id = e.id
        WHERE e.id = $1
        GROUP BY e.id`,
      [eventId],
    );
    if (!totals) throw new NotFoundError('Event not found.');
    const daily: { date: string; bookings: number }[] = await manager.query(
      `SELECT to_char((b.booking_date AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS date, count(*)::int AS bookings
         FROM bookings b
        WHERE b.event_id = $1 AND ${COUNTED}
        GROUP BY 1
        ORDER BY 1`,
      [eventId],
    );
    return { eventId, totalBookings: totals.total, cancellationRate: totals.rate, dailyBookings: daily };
  }
}
