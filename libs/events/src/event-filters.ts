export const PUBLIC_ORDERINGS = [
  'time',
  '-time',
  'created_at',
  '-created_at',
  'price_per_ticket',
  '-price_per_ticket',
] as const;
export type PublicOrdering = (typeof PUBLIC_ORDERINGS)[number];

export const ADMIN_ORDERINGS = ['time', '-time', 'created_at', '-created_at', 'capacity', '-capacity'] as const;
export type AdminOrdering = (typeof ADMIN_ORDERINGS)[number];

export const EVENT_STATUSES = ['upcoming', 'past'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** The public catalogue's filters; dates are `YYYY-MM-DD` days in UTC, both ends inclusive. */
export interface PublicEventFilter {
  search?: string;
  dateFrom?: string;
  dateTo?: string;
  venue?: string;
  minPrice?: number;
  maxPrice?: number;
  availableOnly: boolean;
  upcomingOnly: boolean;
  ordering: PublicOrdering;
}

export interface AdminEventFilter {
  status?: EventStatus;
  venue?: string;
  isActive?: boolean;
  search?: string;
  ordering: AdminOrdering;
}

/** Collects AND-ed conditions and their bind parameters; values never enter the SQL text. */
export class SqlFilter {
  private readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** Binds a value and returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  where(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  get sql(): string {
    return this.conditions.length > 0 ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}

/** `%`, `_` and the escape character itself match literally in the resulting LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Case-insensitive substring search over name and venue, the admin view's fields. The first condition repeats
 * the trigram index's expression exactly so PostgreSQL can use it; the second keeps Django's per-field semantics
 * (a match may not span two fields).
 */
export function whereAdminSearch(filter: SqlFilter, search: string): void {
  const pattern = filter.param(`%${escapeLike(search)}%`);
  const indexed = `lower(e.name || ' ' || e.venue || ' ' || coalesce(e.description, ''))`;
  filter
    .where(`${indexed} LIKE lower(${pattern})`)
    .where(`(lower(e.name) LIKE lower(${pattern}) OR lower(e.venue) LIKE lower(${pattern}))`);
}

/**
 * Case-insensitive substring search over name, venue and description, one field at a time, in one condition:
 * `search_text` holds the three lower-cased and joined by chr(1), which no search may contain.
 */
export function wherePublicSearch(filter: SqlFilter, search: string): void {
  if (search.includes('\u0001')) {
    filter.where('false');
    return;
  }
  filter.where(`e.search_text LIKE lower(${filter.param(`%${escapeLike(search)}%`)})`);
}

export function applyPublicFilter(filter: SqlFilter, query: PublicEventFilter): SqlFilter {
  filter.where('e.deleted_at IS NULL').where('e.is_active');
  if (query.search) wherePublicSearch(filter, query.search);
  if (query.venue) filter.where(`lower(e.venue) = lower(${filter.param(query.venue)})`);
  if (query.dateFrom) filter.where(`e.time >= ${filter.param(startOfUtcDay(query.dateFrom, 0))}`);
  if (query.dateTo) filter.where(`e.time < ${filter.param(startOfUtcDay(query.dateTo, 1))}`);
  if (query.minPrice !== undefined) filter.where(`e.price_per_ticket >= ${filter.param(String(query.minPrice))}`);
  if (query.maxPrice !== undefined) filter.where(`e.price_per_ticket <= ${filter.param(String(query.maxPrice))}`);
  if (query.availableOnly) filter.where('e.booked_tickets < e.capacity');
  if (query.upcomingOnly) filter.where('e.time > now()');
  return filter;
}

export function applyAdminFilter(filter: SqlFilter, query: AdminEventFilter): SqlFilter {
  filter.where('e.deleted_at IS NULL');
  if (query.status === 'upcoming') filter.where('e.time > now()');
  if (query.status === 'past') filter.where('e.time <= now()');
  if (query.venue) filter.where(`lower(e.venue) = lower(${filter.param(query.venue)})`);
  if (query.isActive !== undefined) filter.where(`e.is_active = ${filter.param(query.isActive)}`);
  if (query.search) whereAdminSearch(filter, query.search);
  return filter;
}

const ORDER_COLUMNS: Record<string, string> = {
  time: 'e.time',
  created_at: 'e.created_at',
  price_per_ticket: 'e.price_per_ticket',
  capacity: 'e.capacity',
};

/** `ORDER BY` for a validated ordering; the id breaks ties so pages never overlap (and matches the indexes). */
export function orderBy(ordering: PublicOrdering | AdminOrdering): string {
  const direction = ordering.startsWith('-') ? 'DESC' : 'ASC';
  const column = ORDER_COLUMNS[ordering.replace(/^-/, '')];
  if (!column) throw new Error(`unknown ordering ${ordering}`);
  return `ORDER BY ${column} ${direction}, e.id ${direction}`;
}

/** Midnight UTC of `day` (YYYY-MM-DD) plus `plusDays`. */
function startOfUtcDay(day: string, plusDays: number): Date {
  const midnight = new Date(`${day}T00:00:00Z`);
  midnight.setUTCDate(midnight.getUTCDate() + plusDays);
  return midnight;
}
