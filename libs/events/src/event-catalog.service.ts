import { createHash } from 'node:crypto';

import { Injectable } from '@nestjs/common';

import { CACHE_TTL_MS, cacheKeys, ResponseCache } from '@evently/cache';
import { PageRequest } from '@evently/common';

import { PublicEventFilter } from './event-filters';
import { AvailabilityRecord, EventPage, PublicEventRecord } from './event-records';
import { EventQueries } from './event-queries.service';

/**
 * The public catalogue, read through the versioned response cache. Nothing here depends on who asks,
 * so one entry serves everyone; every event write bumps the versions these keys embed.
 */
@Injectable()
export class EventCatalog {
  constructor(
    private readonly queries: EventQueries,
    private readonly cache: ResponseCache,
  ) {}

  list(filter: PublicEventFilter, page: PageRequest): Promise<EventPage<PublicEventRecord>> {
    const query = listCacheId(filter, page);
    return this.cache.getVersioned(
      cacheKeys.catalogVersion(),
      (version) => cacheKeys.publicEventList(version, query),
      CACHE_TTL_MS.eventList,
      () => this.queries.listPublic(filter, page),
    );
  }

  details(eventId: string): Promise<PublicEventRecord> {
    const id = eventId.toLowerCase();
    return this.cache.getVersioned(
      cacheKeys.eventVersion(id),
      (version) => cacheKeys.publicEventDetails(id, version),
      CACHE_TTL_MS.eventDetails,
      () => this.queries.findPublic(id),
    );
  }

  availability(eventId: string): Promise<AvailabilityRecord> {
    const id = eventId.toLowerCase();
    return this.cache.getVersioned(
      cacheKeys.eventVersion(id),
      (version) => cacheKeys.availability(id, version),
      CACHE_TTL_MS.eventDetails,
      () => this.queries.availability(id),
    );
  }
}

/** A digest of the normalised query, so equal queries share an entry whatever their spelling or order. */
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
  return createHash('sha256').update(JSON.stringify(normalised)).digest('hex');
}
