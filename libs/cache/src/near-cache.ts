import { VersionWatch } from './version-watch';

/**
 * At most this long without asking Redis: bounds what an announcement that never comes could cost (the watch's
 * connection dead without a close, or a Redis that hangs while another process's bump waits on it).
 */
const NEAR_TTL_MS = 1000;
/** Characters of text kept in all (about as many bytes: the cache holds mostly ASCII JSON), and entries. */
const NEAR_CHARS = 4_000_000;
const NEAR_ENTRIES = 10_000;
/** A larger text (a page of 100 events with long descriptions) is not kept. */
const NEAR_ENTRY_CHARS = 250_000;

interface NearEntry {
  versionKey: string;
  stamp: string;
  text: string;
  storedAt: number;
}

/**
 * Texts this process read from the cache or stored in it recently, kept in its memory so a popular entry is served
 * without a Redis round trip (that round trip was a third to a half of a cached read's CPU). An entry is served only while
 * the {@link VersionWatch} trusts the version it was stored under, and for at most {@link NEAR_TTL_MS}; the oldest
 * entries are dropped first once there are more than {@link NEAR_ENTRIES} or their text passes {@link NEAR_CHARS}.
 */
export class NearCache {
  private readonly entries = new Map<string, NearEntry>();
  private chars = 0;

  constructor(private readonly watch: VersionWatch) {}

  get(entryKey: string, versionKey: string): string | undefined {
    const entry = this.entries.get(entryKey);
    if (entry === undefined) return undefined;
    if (entry.versionKey === versionKey && entry.stamp === this.watch.trusted(versionKey)) {
      if (Date.now() - entry.storedAt < NEAR_TTL_MS) return entry.text;
    }
    this.drop(entryKey, entry);
    return undefined;
  }

  /** Keeps `text`, read or stored under `stamp` after `mark`, if the watch can vouch for that version. */
  put(entryKey: string, versionKey: string, stamp: string, text: string, mark: number): void {
    if (text.length > NEAR_ENTRY_CHARS || !this.watch.learn(versionKey, stamp, mark)) return;
    const previous = this.entries.get(entryKey);
    if (previous) this.drop(entryKey, previous);
    this.entries.set(entryKey, { versionKey, stamp, text, storedAt: Date.now() });
    this.chars += text.length;
    for (const [key, entry] of this.entries) {
      if (this.chars <= NEAR_CHARS && this.entries.size <= NEAR_ENTRIES) break;
      this.drop(key, entry);
    }
  }

  private drop(entryKey: string, entry: NearEntry): void {
    this.entries.delete(entryKey);
    this.chars -= entry.text.length;
  }
}
