/** Every cache key and lifetime Evently uses, built in this one place. */
export const CACHE_TTL_MS = {
  eventList: 5 * 60_000,
  eventDetails: 10 * 60_000,
  userProfile: 15 * 60_000,
  analytics: 30 * 60_000,
} as const;

export const cacheKeys = {
  /** Bumped by every write to any event; part of every list key. */
  catalogVersion: () => 'version:catalog',
  /** Bumped by every write to one event or its bookings; part of that event's keys. */
  eventVersion: (eventId: string) => `version:event:${eventId}`,
  /** Bumped by every write to one user. */
  userVersion: (userId: number) => `version:user:${userId}`,
  /** Bumped whenever any booking changes; part of the overall analytics key. */
  analyticsVersion: () => 'version:analytics',

  /** Every cached entry lives under the Redis run id, so none outlives a restart that lost version bumps. */
  inEpoch: (runId: string, key: string) => `${runId}:${key}`,

  publicEventList: (catalogVersion: number, query: string) => `events:public-list:c${catalogVersion}:${query}`,
  publicEventDetails: (eventId: string, eventVersion: number) => `events:public:${eventId}:e${eventVersion}`,
  availability: (eventId: string, eventVersion: number) => `events:availability:${eventId}:e${eventVersion}`,
  userProfile: (userId: number, userVersion: number) => `users:me:${userId}:u${userVersion}`,
  analyticsOverview: (analyticsVersion: number) => `analytics:overview:a${analyticsVersion}`,
  eventAnalytics: (eventId: string, eventVersion: number) => `analytics:event:${eventId}:e${eventVersion}`,
};
