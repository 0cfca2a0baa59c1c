/**
 * Lets a key use the cache from its second request among the last `capacity` distinct keys asked for. Most
 * filtered searches are asked once and never again; looking each up cost a Redis round trip, and storing it a
 * Redis write of the whole page and Redis memory, for nothing, while a key asked twice is likely to be asked
 * again. Per process: behind a load balancer a popular key is admitted once any process has seen it twice, and
 * each process reads it from the database the first time it sees it.
 */
export class SecondRequestAdmission {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  admits(key: string): boolean {
    const known = this.seen.delete(key);
    this.seen.add(key);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.values().next().value as string);
    return known;
  }
}
