/**
 * Values computed from what clients send (a Host, a query, a URL), remembered for the next request that sends the
 * same: at most `capacity` of them, the oldest forgotten first, so no client can grow it by sending new ones.
 */
export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.values.get(key);
  }

  set(key: K, value: V): void {
    if (this.values.size >= this.capacity && !this.values.has(key)) {
      this.values.delete(this.values.keys().next().value as K);
    }
    this.values.set(key, value);
  }

  /** The value remembered for `key`, or `compute()`'s, remembered first. */
  remember(key: K, compute: () => V): V {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    const value = compute();
    this.set(key, value);
    return value;
  }

  entries(): IterableIterator<[K, V]> {
    return this.values.entries();
  }
}
