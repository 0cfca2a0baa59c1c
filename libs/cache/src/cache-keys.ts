/** Every cache key and lifetime Evently uses, built in this one place. */
export const CACHE_TTL_MS = {
  eventList: 5 * 60_000,
  eventDetails: 10 * 60_000,
  analytics: 30 * 60_000,
} as const;

/**
 * Raise it in any release that changes what a cached answer holds, or which events a cached list's query selects
 * (its key staying the same): old and new apis then keep apart entries they would render differently.
 */
export const CACHE_FORMAT = 'f3';

/** What every version key starts with: each api watches the keys under it (Redis client-side tracking). */
export const VERSION_KEYS_PREFIX = 'version:';

export const cacheKeys = {
  /** Bumped by every write to any event; every list entry is current only under the version it was read at. */
  catalogVersion: () => `${VERSION_KEYS_PREFIX}catalog`,
  /** Bumped by every write to one event or its bookings; that event's entries are read under it. */
  eventVersion: (eventId: string) => `${VERSION_KEYS_PREFIX}event:${eventId}`,
  /** Bumped whenever any booking changes; the overall analytics entry is read under it. */
  analyticsVersion: () => `${VERSION_KEYS_PREFIX}analytics`,

  /**
   * Every cached entry lives under the Redis run id, so none outlives a restart that lost version bumps, and under
   * the format of its answers, so that while a rolling deploy mixes releases none serves another's.
   */
  entry: (runId: string, key: string) => `cache:${CACHE_FORMAT}:${runId}:${key}`,

  publicEventList: (query: string) => `events:public-list:${query}`,
  publicEventDetails: (eventId: string) => `events:public:${eventId}`,
  availability: (eventId: string) => `events:availability:${eventId}`,
  analyticsOverview: () => 'analytics:overview',
  eventAnalytics: (eventId: string) => `analytics:event:${eventId}`,
};

/** The versions a write to these events outdates: their own, every list's and the analytics'. */
export function eventVersionKeys(eventIds: string[]): string[] {
  return [cacheKeys.catalogVersion(), cacheKeys.analyticsVersion(), ...eventIds.map(cacheKeys.eventVersion)];
}
