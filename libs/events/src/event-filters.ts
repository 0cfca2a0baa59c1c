import { Ordering, searchTerms } from '@evently/common';

export const PUBLIC_ORDER_FIELDS = ['time', 'created_at', 'price_per_ticket'] as const;
export type PublicOrdering = Ordering<(typeof PUBLIC_ORDER_FIELDS)[number]>;

export const ADMIN_ORDER_FIELDS = ['time', 'created_at', 'capacity'] as const;
export type AdminOrdering = Ordering<(typeof ADMIN_ORDER_FIELDS)[number]>;

export const EVENT_STATUSES = ['upcoming', 'past'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** The public catalogue's filters; dates are `YYYY-MM-DD` days in UTC, both ends inclusive. */
export interface PublicEventFilter {
  search?: string;
  dateFrom?: string;
  dateTo?: string;
  venue?: string;
  /** Plain decimal text (`25.5`), compared exactly as numeric. */
  minPrice?: string;
  maxPrice?: string;
  availableOnly: boolean;
  upcomingOnly: boolean;
  /** Fields to order by in turn, at least one. */
  ordering: readonly PublicOrdering[];
}

export interface AdminEventFilter {
  status?: EventStatus;
  venue?: string;
  isActive?: boolean;
  search?: string;
  /** Fields to order by in turn, at least one. */
  ordering: readonly AdminOrdering[];
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
 * A search's terms as LIKE patterns, each once: DRF's terms (see `searchTerms`), of which an event must hold every one.
 * An empty term (from `""`) matches every event, so it is left out; none left means no search.
 */
function searchPatterns(search: string): string[] {
  const terms = new Set(searchTerms(search).filter((term) => term !== ''));
  return [...terms].map((term) => `%${escapeLike(term)}%`);
}

/**
 * Case-insensitive substring search over name and venue, the admin view's fields, every term in one of them, as
 * Django's `icontains` compares (`UPPER(field) LIKE UPPER(term)`). For each term, the first condition finds the
 * candidates through `search_key`'s trigram index (every field's text is in it); the second keeps Django's per-field
 * semantics (the description is not searched, and a term may not span two fields).
 */
export function whereAdminSearch(filter: SqlFilter, search: string): void {
  for (const term of searchPatterns(search)) {
    const pattern = filter.param(term);
    filter
      .where(`e.search_key LIKE upper(${pattern})`)
      .where(`(upper(e.name) LIKE upper(${pattern}) OR upper(e.venue) LIKE upper(${pattern}))`);
  }
}

/**
 * Terms of a public search that get a condition of their own, each able to use the trigram index. More than anyone
 * types share one condition, since the capped count's `format()` takes at most 100 arguments, one per parameter.
 */
const OWN_CONDITION_TERMS = 32;

/**
 * Case-insensitive substring search over name, venue and description, every term in one of them, one condition a
 * term: `search_key` holds the three upper-cased, as Django's `icontains` compares them, and joined by chr(1), which
 * no term may contain, so a term never spans two fields. One term is one condition, exactly as the column's trigram
 * index and the planner know it.
 */
export function wherePublicSearch(filter: SqlFilter, search: string): void {
  const patterns = searchPatterns(search);
  if (patterns.some((pattern) => pattern.includes('\u0001'))) {
    filter.where('false');
    return;
  }
  for (const pattern of patterns.slice(0, OWN_CONDITION_TERMS)) {
    filter.where(`e.search_key LIKE upper(${filter.param(pattern)})`);
  }
  const rest = patterns.slice(OWN_CONDITION_TERMS);
  if (rest.length > 0) {
    filter.where(`e.search_key LIKE ALL (SELECT upper(term) FROM unnest(${filter.param(rest)}::text[]) AS term)`);
  }
}

export function applyPublicFilter(filter: SqlFilter, query: PublicEventFilter): SqlFilter {
  filter.where('e.deleted_at IS NULL').where('e.is_active');
  if (query.search) wherePublicSearch(filter, query.search);
  if (query.venue) filter.where(`upper(e.venue) = upper(${filter.param(query.venue)})`);
  if (query.dateFrom) filter.where(`e.time >= ${filter.param(startOfUtcDay(query.dateFrom, 0))}`);
  if (query.dateTo) filter.where(`e.time < ${filter.param(startOfUtcDay(query.dateTo, 1))}`);
  // Bound as text, the parameters are typed numeric (without the column's scale) by the comparison: exact.
  if (query.minPrice !== undefined) filter.where(`e.price_per_ticket >= ${filter.param(query.minPrice)}`);
  if (query.maxPrice !== undefined) filter.where(`e.price_per_ticket <= ${filter.param(query.maxPrice)}`);
  if (query.availableOnly) filter.where('e.booked_tickets < e.capacity');
  if (query.upcomingOnly) filter.where('e.time > now()');
  return filter;
}

export function applyAdminFilter(filter: SqlFilter, query: AdminEventFilter): SqlFilter {
  filter.where('e.deleted_at IS NULL');
  if (query.status === 'upcoming') filter.where('e.time > now()');
  if (query.status === 'past') filter.where('e.time <= now()');
  if (query.venue) filter.where(`upper(e.venue) = upper(${filter.param(query.venue)})`);
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

/**
 * `ORDER BY` for a validated ordering, by each field in turn. The id breaks the last ties so the order is total and
 * pages never overlap; it runs in the first field's direction, which makes a one-field order that of its
 * `(column, id)` index, read forward or backward.
 */
export function orderBy(ordering: EventOrdering | readonly EventOrdering[]): string {
  const fields = typeof ordering === 'string' ? [ordering] : ordering;
  if (fields.length === 0) throw new Error('no ordering');
  const keys = fields.map((field) => {
    const name = field.replace(/^-/, '');
    if (!Object.hasOwn(ORDER_COLUMNS, name)) throw new Error(`unknown ordering ${field}`);
    return `${ORDER_COLUMNS[name]} ${direction(field)}`;
  });
  return `ORDER BY ${keys.join(', ')}, e.id ${direction(fields[0])}`;
}

type EventOrdering = PublicOrdering | AdminOrdering;

function direction(field: string): 'ASC' | 'DESC' {
  return field.startsWith('-') ? 'DESC' : 'ASC';
}

/** Midnight UTC of `day` (YYYY-MM-DD) plus `plusDays`. */
function startOfUtcDay(day: string, plusDays: number): Date {
  const midnight = new Date(`${day}T00:00:00Z`);
  midnight.setUTCDate(midnight.getUTCDate() + plusDays);
  return midnight;
}
