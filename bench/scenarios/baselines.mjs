import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import pg from 'pg';

import { BENCH } from '../config.mjs';
import { bookingRequests } from '../lib/booking-requests.mjs';
import { runLoad } from '../lib/load.mjs';
import { createEvents } from '../lib/database.mjs';
import { progress } from '../lib/progress.mjs';
import { round, summarize } from '../lib/stats.mjs';
import { freePort, waitFor } from '../lib/system.mjs';

/**
 * Baseline (a): a bare node:http server, loaded by the same client, connections and split as the scenarios, after the
 * same warm-up as browsing. Then the storm's load against the same server (500 new connections, 20,000 POSTs whose
 * bodies it ignores): no target reads it, but it shows the accept latency the client and the machine alone give.
 */
export async function bareHttpBaseline({ processes, env, users }) {
  const port = await freePort();
  const server = processes.start('bare-http', ['bench/servers/bare-http-server.mjs'], { ...env, PORT: String(port) });
  await waitFor('the bare server', () => globalThis.fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok));
  const ports = Array(BENCH.apiProcesses).fill(port);
  const hello = () => () => ({ path: '/' });
  await runLoad({ label: 'bare http warm-up', ports, seconds: BENCH.readWarmupSeconds, requestFor: hello });
  const result = await runLoad({ label: 'bare http', ports, seconds: BENCH.loadSeconds, requestFor: hello });
  const storm = await runLoad({
    label: 'bare http, storm',
    ports,
    requests: BENCH.storm.requests,
    requestFor: bookingRequests(users, [randomUUID()]),
  });
  await processes.stop([server]);
  return { bareHttp: withoutTags(result), bareHttpStorm: withoutTags(storm) };
}

/**
 * Baselines (b) and (c): the database's own limit for one booking per transaction, on one hot event row (b)
 * or on a different event each time (c). The loop is the naive design: lock the counter, insert, commit.
 */
export async function bookingLoopBaseline({ pool, databaseUrl, organizerId, userIds }, { hot }) {
  const eventIds = await createEvents(pool, organizerId, hot ? 1 : BENCH.coldEvents, 1_000_000, 'baseline');
  const clients = await Promise.all(
    Array.from({ length: BENCH.dbLoopConnections }, async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  const latencies = [];
  let next = 0;
  let failures = 0;
  const startedAt = performance.now();
  const stopAt = startedAt + BENCH.dbLoopSeconds * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < stopAt) {
        const n = next++;
        const began = performance.now();
        try {
          await bookOne(client, eventIds[n % eventIds.length], userIds[n % userIds.length]);
          latencies.push(performance.now() - began);
        } catch {
          failures++;
          await client.query('ROLLBACK').catch(() => {});
        }
      }
    }),
  );
  const seconds = (performance.now() - startedAt) / 1000;
  await Promise.all(clients.map((client) => client.end()));
  await pool.query('DELETE FROM bookings WHERE event_id = ANY($1::uuid[])', [eventIds]);
  await pool.query('DELETE FROM events WHERE id = ANY($1::uuid[])', [eventIds]);
  await pool.query('VACUUM ANALYZE bookings, events');
  const result = {
    connections: BENCH.dbLoopConnections,
    events: eventIds.length,
    transactions: latencies.length,
    failures,
    tps: Math.round(latencies.length / seconds),
    latencyMs: summarize(latencies),
    seconds: round(seconds, 2),
  };
  progress(`  ${hot ? 'hot' : 'cold'}-row loop: ${result.tps.toLocaleString('en')} transactions/s`);
  return result;
}

async function bookOne(client, eventId, userId) {
  await client.query('BEGIN');
  const updated = await client.query(
    `UPDATE events SET booked_tickets = booked_tickets + 1
      WHERE id = $1 AND booked_tickets + 1 <= capacity`,
    [eventId],
  );
  if (updated.rowCount === 1) {
    await client.query(
      `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, confirmed_at)
       VALUES ($1, $2, 1, 25.00, 'confirmed', now())`,
      [eventId, userId],
    );
  }
  await client.query('COMMIT');
}

export function withoutTags(result) {
  const { tags: _tags, startedAtWall: _startedAtWall, ...rest } = result;
  return rest;
}
