import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { CACHE_TTL_MS, cacheKeys, ResponseCache, SecondRequestAdmission } from '@evently/cache';
import { PageRequest } from '@evently/common';

import { PublicEventFilter } from './event-filters';
import { AvailabilityRecord, PublicEventRecord } from './event-records';
import { EventQueries } from './event-queries.service';

/**
 * The cache version each public read is current under, from its route's params: the catalogue reads its entries
 * under it, and the api replays an answer while it holds (apps/api/src/common/answer-replay.ts).
 */
export const publicReadVersions = {
  list: (): string => cacheKeys.catalogVersion(),
  event: (params: { id: string }): string => cacheKeys.eventVersion(params.id.toLowerCase()),
};

/**
 * The public catalogue, read through the versioned response cache. Nothing here depends on who asks, so one
 * entry serves everyone; every event write bumps the versions the entries are read under. Answers are JSON
 * text, rendered by the caller's `render` before they are cached, so a cache hit is sent as it was stored.
 */
@Injectable()
export class EventCatalog {
  /** Filtered lists are a long tail of one-off searches: only those asked twice are worth the cache's round trips. */
  private readonly listAdmission = new SecondRequestAdmission();

  constructor(
    private readonly queries: EventQueries,
    private readonly cache: ResponseCache,
  ) {}

  /** `{"count":N,"results":[…]}`: a page without its links, which depend on the request's URL. */
  list(filter: PublicEventFilter, page: PageRequest, render: (record: PublicEventRecord) => unknown): Promise<string> {
    return this.cache.json(
      publicReadVersions.list(),
      cacheKeys.publicEventList(listCacheId(filter, page)),
      CACHE_TTL_MS.eventList,
      async () => {
        const { records, count } = await this.queries.listPublic(filter, page);
        return { count, results: records.map(render) };
      },
      this.listAdmission,
    );
  }

  /** Every match, counted exactly and not cached: asked for only by `page=last`. */
  count(filter: PublicEventFilter): Promise<number> {
    return this.queries.countPublic(filter);
  }

  details(eventId: string, render: (record: PublicEventRecord) => unknown): Promise<string> {
    const id = eventId.toLowerCase();
    return this.cache.json(
      publicReadVersions.event({ id }),
      cacheKeys.publicEventDetails(id),
      CACHE_TTL_MS.eventDetails,
      async () => render(await this.queries.findPublic(id)),
    );
  }

  availability(eventId: string, render: (record: AvailabilityRecord) => unknown): Promise<string> {
    const id = eventId.toLowerCase();
    return this.cache.json(
      publicReadVersions.event({ id }),
      cacheKeys.availability(id),
      CACHE_TTL_MS.eventDetails,
      async () => render(await this.queries.availability(id)),
    );
  }
}

/**
 * The normalised query, so equal queries share an entry whatever their spelling or order; past
 * {@link PLAIN_ID_CHARS} its digest, which bounds what a key costs Redis and the admission's memory (a JSON
 * array and a hex digest never coincide).
 */
function listCacheId(filter: PublicEventFilter, page: PageRequest): string {
  const normalised = [
    filter.search ?? '',
    filter.dateFrom ?? '',
    filter.dateTo ?? '',
    filter.venue ?? '',
    filter.minPrice ?? '',
    filter.maxPrice ?? '',
    filter.availableOnly,
    filter.upcomingOnly,
    filter.ordering,
    page.page,
    page.pageSize,
  ];
  const id = JSON.stringify(normalised);
  return id.length <= PLAIN_ID_CHARS ? id : createHash('sha256').update(id).digest('hex');
}

const PLAIN_ID_CHARS = 200;
