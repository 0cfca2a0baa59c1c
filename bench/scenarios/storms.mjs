import { BENCH } from '../config.mjs';
import { bookingRequests } from '../lib/booking-requests.mjs';
import { createEvents } from '../lib/database.mjs';
import { runLoad } from '../lib/load.mjs';
import { progress } from '../lib/progress.mjs';
import { round } from '../lib/stats.mjs';
import { cpuMsPer, postgresCpuMsSince, postgresCpuSnapshot, waitFor } from '../lib/system.mjs';

import { withoutTags } from './baselines.mjs';

/**
 * A storm of one-ticket `POST /api/bookings/` over `events` events of `capacity` seats, from every user at once
 * ({@link bookingRequests}). It waits until nothing is pending, then checks the inventory invariants.
 */
export async function bookingStorm(ctx, { label, events: eventCount, capacity, requests }) {
  const { pool, users, organizerId, apiPorts } = ctx;
  const eventIds = await createEvents(ctx.pool, organizerId, eventCount, capacity, label);
  const requestFor = bookingRequests(users, eventIds);
  progress(`${label}: ${requests.toLocaleString('en')} POSTs over ${eventCount} event(s) of ${capacity} seats`);
  const cpuBefore = {
    api: ctx.processes.cpuMs('api'),
    apiV8Helpers: ctx.processes.v8HelperCpuMs('api'),
    worker: ctx.processes.cpuMs('worker'),
    postgres: postgresCpuSnapshot(),
  };
  const load = await runLoad({ label, ports: apiPorts, requests, requestFor });
  const cpuAfterLoad = { api: ctx.processes.cpuMs('api'), apiV8Helpers: ctx.processes.v8HelperCpuMs('api') };
  await waitFor(
    'every booking to settle',
    async () => (await pendingCount(pool, eventIds)) === 0,
    BENCH.settleTimeoutMs,
    100,
  ).catch((error) => progress(`  ${label}: ${error.message}`));
  const outcome = await inventory(pool, eventIds, load);
  outcome.cpu = {
    apiMsPerRequest: cpuMsPer(cpuBefore.api, cpuAfterLoad.api, load.responses),
    apiV8HelperMsPerRequest: cpuMsPer(cpuBefore.apiV8Helpers, cpuAfterLoad.apiV8Helpers, load.responses),
    // Read once every booking is settled, so it takes in the settling transactions too.
    workerMsPerSettled: cpuMsPer(cpuBefore.worker, ctx.processes.cpuMs('worker'), outcome.settled),
    postgresMsPerRequest: cpuMsPer(0, postgresCpuMsSince(cpuBefore.postgres), load.responses),
  };
  progress(
    `  ${label}: ${outcome.acceptedPerSecond.toLocaleString('en')} accepted/s, p99 ${load.latencyMs.p99} ms; ` +
      `${outcome.settledPerSecond?.toLocaleString('en')} settled/s; invariants ${outcome.invariants.ok ? 'hold' : 'BROKEN'}`,
  );
  return { events: eventCount, capacity, requests, load: withoutTags(load), ...outcome };
}

async function pendingCount(pool, eventIds) {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM bookings WHERE event_id = ANY($1::uuid[]) AND status IN ('pending', 'processing')`,
    [eventIds],
  );
  return rows[0].n;
}

/** Settlement speed and the invariants: exact sell-out, no oversell, counter == rows, no 5xx, nothing lost. */
async function inventory(pool, eventIds, load) {
  const { rows } = await pool.query(
    `SELECT e.id, e.capacity, e.booked_tickets,
            coalesce(sum(b.ticket_count) FILTER (WHERE b.status = 'confirmed'), 0)::int AS confirmed,
            count(b.id) FILTER (WHERE b.status = 'failed')::int AS failed,
            count(b.id) FILTER (WHERE b.status IN ('pending', 'processing'))::int AS pending,
            count(b.id)::int AS rows,
            -- A confirmation's time is its statement's, after the event's lock; a failure has only its transaction's start.
            extract(epoch FROM greatest(max(b.confirmed_at), max(b.updated_at))) * 1000 AS last_settled_ms
       FROM events e LEFT JOIN bookings b ON b.event_id = e.id
      WHERE e.id = ANY($1::uuid[])
      GROUP BY e.id`,
    [eventIds],
  );
  const index = new Map(eventIds.map((id, i) => [id, i]));
  const sum = (pick) => rows.reduce((total, row) => total + pick(row), 0);
  const demandOf = (row) => {
    const statuses = load.tags.get(index.get(row.id)) ?? new Map();
    return (statuses.get(201) ?? 0) + (statuses.get(409) ?? 0);
  };
  const created = load.statuses[201] ?? 0;
  const refused = load.statuses[409] ?? 0;
  const settled = sum((row) => row.confirmed + row.failed);
  const lastSettledMs = Math.max(...rows.map((row) => Number(row.last_settled_ms ?? 0)));
  const settleSeconds = (lastSettledMs - load.startedAtWall) / 1000;
  const invariants = {
    confirmedTickets: sum((row) => row.confirmed),
    capacity: sum((row) => row.capacity),
    unsoldDespiteDemand: rows.filter((row) => demandOf(row) >= row.capacity && row.confirmed !== row.capacity).length,
    oversold: sum((row) => Math.max(0, row.confirmed - row.capacity)),
    counterMismatches: rows.filter((row) => row.booked_tickets !== row.confirmed).length,
    stillPending: sum((row) => row.pending),
    lostOrExtraBookings: sum((row) => row.rows) - created,
    serverErrors: load.serverErrors,
    clientErrors: load.errors, // autocannon counts its timeouts among them
    otherStatuses: load.responses - created - refused - load.serverErrors,
  };
  invariants.ok =
    invariants.unsoldDespiteDemand === 0 &&
    invariants.oversold === 0 &&
    invariants.counterMismatches === 0 &&
    invariants.stillPending === 0 &&
    invariants.lostOrExtraBookings === 0 &&
    invariants.serverErrors === 0 &&
    invariants.clientErrors === 0 &&
    invariants.otherStatuses === 0;
  return {
    created,
    refused,
    // The 201s and 409s alone: any other answer is no accepted request (and breaks the invariants).
    acceptedPerSecond: load.responses > 0 ? Math.round((load.rps * (created + refused)) / load.responses) : 0,
    settled,
    confirmedPerSecond: settleSeconds > 0 ? Math.round(invariants.confirmedTickets / settleSeconds) : null,
    failed: sum((row) => row.failed),
    settleSeconds: round(settleSeconds, 2),
    settledPerSecond: settleSeconds > 0 ? Math.round(settled / settleSeconds) : null,
    invariants,
  };
}
