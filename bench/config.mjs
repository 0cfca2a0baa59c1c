// The benchmark's sizes, in one place. The figures mirror issue 6; change them here, not in the scenarios.
export const BENCH = {
  /** Client connections for every HTTP scenario and the bare-server baseline, split evenly over the two apis. */
  connections: 500,
  apiProcesses: 2,
  workerProcesses: 2,
  /** Seconds of each duration-based load (baseline a, browse); preceded by a short warm-up. */
  loadSeconds: 5,
  warmupSeconds: 1,
  /** Baselines (b) and (c): node-postgres connections looping one booking per transaction. */
  dbLoopConnections: 32,
  dbLoopSeconds: 5,
  coldEvents: 10_000,
  /** Bookings on events that never sell out, before anything is measured (a real on-sale hits a warm system). */
  warmup: { events: 10, capacity: 100_000, requests: 4_000 },
  storm: { capacity: 5_000, users: 500, requests: 20_000 },
  manyEvents: { events: 1_000, capacity: 20, requests: 20_000 },
  /**
   * Seconds of reads before the reads are measured: baseline (a)'s server gets them too, and browsing's cached list
   * and details in turn. Freshly started apps took 8–10 s of such load to reach their steady CPU per request on a slow
   * 2-core host, and a public catalogue is read all day.
   */
  readWarmupSeconds: 10,
  /** Browsing runs first, over this many events; then `catalogEvents` more are added for the filtered search. */
  browseEvents: 1_000,
  catalogEvents: 100_000,
  /** The filtered search's p99 is also taken at this low concurrency, where it reflects the query, not the queue. */
  searchConnections: 10,
  settleTimeoutMs: 120_000,
  requestTimeoutSeconds: 30,
};

/** Child process environment knobs; BENCH_* variables let an operator try other settings without editing code. */
export const SYSTEM_ENV = {
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
  ...(process.env.BENCH_DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE } : {}),
  ...(process.env.BENCH_WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY } : {}),
};
