import { performance } from 'node:perf_hooks';

import { VersionWatch } from './version-watch';

/**
 * At most this long without asking Redis again, which bounds what an answer that depends on the clock (a list of
 * upcoming events) can lag beyond its cache lifetime. Not shorter: when a popular entry expires, every request in
 * flight for it takes the slow path at once (at 1 s, such bursts cost a cached list about a quarter of its CPU).
 */
const NEAR_TTL_MS = 5000;
/** Characters of text kept in all (about as many bytes: the cache holds mostly ASCII JSON), and entries. */
const NEAR_CHARS = 4_000_000;
const NEAR_ENTRIES = 10_000;
/** A larger text (a page of 100 events with long descriptions) is not kept. */
const NEAR_ENTRY_CHARS = 250_000;

interface NearEntry {
  versionKey: string;
  token: string;
  text: string;
  keptAt: number;
}

/**
 * Texts this process read from the cache or stored in it recently, kept in its memory so a popular entry is served
 * without a Redis round trip for each request (that round trip was a third to a half of a cached read's CPU). An
 * entry is served only while the {@link VersionWatch} trusts the token it was kept under, after a barrier, and for
 * at most {@link NEAR_TTL_MS}; the oldest entries are dropped first once there are more than {@link NEAR_ENTRIES}
 * or their text passes {@link NEAR_CHARS}.
 */
export class NearCache {
  private readonly entries = new Map<string, NearEntry>();
  private chars = 0;

  constructor(private readonly watch: VersionWatch) {}

  /**
   * The text kept under `key`, if its version is still the one it was kept under once every change Redis announced
   * before this call has been handled.
   */
  async read(key: string, versionKey: string): Promise<string | undefined> {
    if (!this.entries.has(key) || !(await this.watch.barrier())) return undefined;
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const current = entry.versionKey === versionKey && entry.token === this.watch.trusted(versionKey);
    if (current && performance.now() - entry.keptAt < NEAR_TTL_MS) return entry.text;
    this.drop(key, entry);
    return undefined;
  }

  /** Keeps `text`, current under the version `token` the watch gave for `versionKey`. */
  keep(key: string, versionKey: string, token: string, text: string): void {
    if (text.length > NEAR_ENTRY_CHARS) return;
    const previous = this.entries.get(key);
    if (previous) this.drop(key, previous);
    this.entries.set(key, { versionKey, token, text, keptAt: performance.now() });
    this.chars += text.length;
    for (const [oldest, entry] of this.entries) {
      if (this.chars <= NEAR_CHARS && this.entries.size <= NEAR_ENTRIES) break;
      this.drop(oldest, entry);
    }
  }

  private drop(key: string, entry: NearEntry): void {
    this.entries.delete(key);
    this.chars -= entry.text.length;
  }
}
