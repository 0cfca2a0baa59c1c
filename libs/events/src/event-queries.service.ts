import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { NotFoundError, pageOffset, PageRequest, toIsoUtc } from '@evently/common';

import {
  AdminEventFilter,
  applyAdminFilter,
  applyPublicFilter,
  orderBy,
  PublicEventFilter,
  SqlFilter,
} from './event-filters';
import {
  AdminEventDetailsRecord,
  AdminEventRecord,
  AvailabilityRecord,
  EventPage,
  EventSummaryRecord,
  PublicEventRecord,
} from './event-records';

const PUBLIC_COLUMNS = `e.id, e.name, e.venue, e.time, e.capacity, e.capacity - e.booked_tickets AS available_tickets,
       e.price_per_ticket, e.description, u.username AS organizer`;
const ADMIN_COLUMNS = `e.id, e.name, e.venue, e.time, e.capacity, e.capacity - e.booked_tickets AS available_tickets,
       e.price_per_ticket, u.username AS organizer, e.is_active, e.created_at`;

/** The public list counts its matches exactly up to this many; beyond it the count is PostgreSQL's estimate. */
export const EXACT_COUNT_LIMIT = 1000;

/** Event reads straight from PostgreSQL; deleted events are invisible to all of them. */
@Injectable()
export class EventQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  listPublic(query: PublicEventFilter, page: PageRequest): Promise<EventPage<PublicEventRecord>> {
    const filter = applyPublicFilter(new SqlFilter(), query);
    return this.list(filter, cappedCountSql(filter), PUBLIC_COLUMNS, orderBy(query.ordering), page, toPublicRecord);
  }

  listAdmin(query: AdminEventFilter, page: PageRequest): Promise<EventPage<AdminEventRecord>> {
    const filter = applyAdminFilter(new SqlFilter(), query);
    return this.list(filter, exactCountSql(filter), ADMIN_COLUMNS, orderBy(query.ordering), page, toAdminRecord);
  }

  /**
   * Every match of the public list's filter, counted exactly (the last page's number). Counted at once: a capped
   * count first would visit the same rows when there are few matches, and then count them all again when there are
   * many.
   */
  async countPublic(query: PublicEventFilter): Promise<number> {
    return (await this.count(exactCountSql(applyPublicFilter(new SqlFilter(), query)))).matches;
  }

  async countAdmin(query: AdminEventFilter): Promise<number> {
    return (await this.count(exactCountSql(applyAdminFilter(new SqlFilter(), query)))).matches;
  }

  /** An active, not deleted event as the public sees it. */
  async findPublic(eventId: string): Promise<PublicEventRecord> {
    const [row] = await this.dataSource.query(
      `SELECT ${PUBLIC_COLUMNS} FROM events e JOIN users u ON u.id = e.organizer_id
        WHERE e.id = $1 AND e.deleted_at IS NULL AND e.is_active`,
      [eventId],
    );
    return toPublicRecord(found(row));
  }

  async availability(eventId: string): Promise<AvailabilityRecord> {
    const [row] = await this.dataSource.query(
      `SELECT id, capacity - booked_tickets AS available_tickets FROM events
        WHERE id = $1 AND deleted_at IS NULL AND is_active`,
      [eventId],
    );
    const record = found(row);
    return { eventId: record.id as string, availableTickets: record.available_tickets as number };
  }

  async findAdminDetails(eventId: string): Promise<AdminEventDetailsRecord> {
    const [row] = await this.dataSource.query(
      `SELECT e.id, e.name, e.venue, e.time, e.capacity, e.description, e.price_per_ticket, e.is_active,
              e.capacity - e.booked_tickets AS available_tickets, e.created_at, e.updated_at,
              u.id AS organizer_id, u.username AS organizer_username, u.email AS organizer_email,
              (SELECT count(*)::int FROM bookings b WHERE b.event_id = e.id AND b.status = 'confirmed')
                AS total_bookings,
              round(e.booked_tickets * 100.0 / e.capacity, 1)::float8 AS utilization_percentage
         FROM events e JOIN users u ON u.id = e.organizer_id
        WHERE e.id = $1 AND e.deleted_at IS NULL`,
      [eventId],
    );
    return toAdminDetailsRecord(found(row));
  }

  /**
   * The page and its count in one statement, one round trip. The count is a materialised CTE so it runs once
   * whatever the plan: as a plain subquery, a plan from stale statistics counted again for every row of the page.
   * An empty page counts on its own. A deep page's ids are found first and its rows read after: the rows its
   * OFFSET skips are then passed over in an index (with the public list's default order, from the index alone), where
   * each of them had been read from the table and joined to its organizer (over 100,000 events, a page 40,000 deep
   * took 86–130 ms, and 0.2–0.8 s in a review's larger rows; any anonymous client may ask for one). Near the start
   * the two steps cost more than they save (a first page's search 5–10 % more PostgreSQL time), so they start at
   * {@link DEFERRED_JOIN_OFFSET}.
   */
  private async list<T>(
    filter: SqlFilter,
    counting: Statement,
    columns: string,
    ordering: string,
    page: PageRequest,
    toRecord: (row: Record<string, unknown>) => T,
  ): Promise<EventPage<T>> {
    const offset = pageOffset(page);
    const rows: (Record<string, unknown> & Counted)[] = await this.dataSource.query(
      `WITH counted AS MATERIALIZED (${counting.sql})
       SELECT ${columns}, counted.matches, counted.estimate
         FROM events e JOIN users u ON u.id = e.organizer_id CROSS JOIN counted
        ${pageRows(filter, ordering, page.pageSize + 1, offset)}`,
      counting.params,
    );
    const { matches, estimate } = rows[0] ?? (await this.count(counting));
    const hasMore = rows.length > page.pageSize;
    const records = rows.slice(0, page.pageSize).map(toRecord);
    if (estimate === null) return { records, count: matches };
    return { records, count: settleEstimate(Number(estimate), offset, records, hasMore) };
  }

  private async count(counting: Statement): Promise<Counted> {
    const [counted] = await this.dataSource.query(counting.sql, counting.params);
    return counted;
  }
}

/** From this many rows skipped on, a page's ids are found before its rows are read. */
const DEFERRED_JOIN_OFFSET = 1000;

/** The WHERE, ORDER BY and LIMIT that pick a page's rows of `events e`. */
function pageRows(filter: SqlFilter, ordering: string, limit: number, offset: number): string {
  if (offset < DEFERRED_JOIN_OFFSET) return `${filter.sql} ${ordering} LIMIT ${limit} OFFSET ${offset}`;
  return `WHERE e.id IN (SELECT e.id FROM events e ${filter.sql} ${ordering} LIMIT ${limit} OFFSET ${offset}) ${ordering}`;
}

interface Statement {
  sql: string;
  params: unknown[];
}

/** `estimate` is null when `matches` is the exact count. */
interface Counted {
  matches: number;
  estimate: string | null;
}

/** Every match of `filter`, counted: the admin views, whose staff page through all events and rely on the total. */
function exactCountSql(filter: SqlFilter): Statement {
  return {
    sql: `SELECT count(*)::int AS matches, NULL AS estimate FROM events e ${filter.sql}`,
    params: filter.params,
  };
}

/**
 * The matches of `filter` counted up to one past {@link EXACT_COUNT_LIMIT}, and past that the planner's estimate
 * (as large catalogue sites show "about N results"), since counting every match of a broad public search costs more
 * than the page itself. The estimate comes from `evently_estimated_rows` (migration EstimatedRowsFunction), which
 * EXPLAINs the filter inside the same statement, its values quoted in by `format(%L)`; a separate EXPLAIN had
 * been a second round trip per search.
 */
function cappedCountSql(filter: SqlFilter): Statement {
  const template = `SELECT 1 FROM events e ${filter.sql}`
    .replaceAll('%', '%%')
    .replace(/\$(\d+)/g, (_placeholder, n: string) => `%${n}$L`);
  const params = [...filter.params, template];
  // format() takes any type, so each value's type comes from the filter; PostgreSQL analyses the FROM subquery
  // below before the CASE, which is what lets it know them (the same format() in a select list beside a WHERE fails).
  const values = filter.params.map((_value, index) => `, $${index + 1}`).join('');
  return {
    sql: `SELECT matches, CASE WHEN matches > ${EXACT_COUNT_LIMIT}
                 THEN evently_estimated_rows(format($${params.length}${values})) END AS estimate
            FROM (SELECT count(*)::int FROM (SELECT 1 FROM events e ${filter.sql} LIMIT ${EXACT_COUNT_LIMIT + 1}) AS matches)
              AS c (matches)`,
    params,
  };
}

/** An estimated count never contradicts the page: the last page makes it exact, and `next` is right either way. */
export function settleEstimate(estimate: number, offset: number, records: unknown[], hasMore: boolean): number {
  if (records.length === 0) return Math.min(estimate, offset);
  if (!hasMore) return offset + records.length;
  return Math.max(estimate, offset + records.length + 1, EXACT_COUNT_LIMIT + 1);
}

function found(row: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!row) throw new NotFoundError('Event not found.');
  return row;
}

function toSummaryRecord(row: Record<string, unknown>): EventSummaryRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    venue: row.venue as string,
    time: toIsoUtc(row.time as Date),
    capacity: row.capacity as number,
    availableTickets: row.available_tickets as number,
    pricePerTicket: row.price_per_ticket as string,
    organizer: row.organizer as string,
  };
}

function toPublicRecord(row: Record<string, unknown>): PublicEventRecord {
  return { ...toSummaryRecord(row), description: row.description as string | null };
}

function toAdminRecord(row: Record<string, unknown>): AdminEventRecord {
  return { ...toSummaryRecord(row), isActive: row.is_active as boolean, createdAt: toIsoUtc(row.created_at as Date) };
}

function toAdminDetailsRecord(row: Record<string, unknown>): AdminEventDetailsRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    venue: row.venue as string,
    time: toIsoUtc(row.time as Date),
    capacity: row.capacity as number,
    description: row.description as string | null,
    pricePerTicket: row.price_per_ticket as string,
    organizer: {
      id: row.organizer_id as number,
      username: row.organizer_username as string,
      email: row.organizer_email as string,
    },
    isActive: row.is_active as boolean,
    availableTickets: row.available_tickets as number,
    totalBookings: row.total_bookings as number,
    utilizationPercentage: row.utilization_percentage as number,
    createdAt: toIsoUtc(row.created_at as Date),
    updatedAt: toIsoUtc(row.updated_at as Date),
  };
}
