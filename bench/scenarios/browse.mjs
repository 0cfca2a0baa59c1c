import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams } from 'node:url';

import { BENCH } from '../config.mjs';
import { createCatalog } from '../lib/database.mjs';
import { runLoad } from '../lib/load.mjs';
import { progress } from '../lib/progress.mjs';
import { cpuMsPer, postgresCpuMsSince, postgresCpuSnapshot, waitFor } from '../lib/system.mjs';

import { withoutTags } from './baselines.mjs';

const LIST = '/api/user/events/';
const MISSING = { status: 'n/a (endpoint missing)' };

/**
 * Public browsing, anonymous as in the spec, over a catalogue of `browseEvents`: the filtered list and one event's
 * details, each cached (the same URL every time) and uncached (every request a new cache key). Then, over
 * `catalogEvents` more events, the filtered search again, at full and at low concurrency.
 */
export async function browse(ctx) {
  const { pool, organizerId } = ctx;
  await createCatalog(pool, organizerId, BENCH.browseEvents);
  const [{ id: someEventId }] = (await pool.query('SELECT id FROM events ORDER BY created_at, name LIMIT 1')).rows;
  const listExists = await answers(ctx, `${LIST}?page_size=1`);
  const detailExists = await answers(ctx, `${LIST}${someEventId}/`);
  if (!listExists) progress(`browse: GET ${LIST} is not there (404): reporting n/a`);
  if (!detailExists) progress(`browse: GET ${LIST}{id}/ is not there (404): reporting n/a`);
  const results = {};
  const unique = counter();
  const searchPath = searchPaths();
  const cachedPath = searchPath(1000);
  const detailPath = `${LIST}${someEventId}/`;
  const warmPaths = [...(listExists ? [cachedPath] : []), ...(detailExists ? [detailPath] : [])];
  if (warmPaths.length > 0) results.warmup = await warmUp(ctx, warmPaths);
  if (listExists) {
    results.listCached = await measure(ctx, 'list, cached', () => cachedPath);
    results.listUncached = await measure(ctx, 'list, uncached', () => searchPath(1000 + unique() / 100));
  }
  if (detailExists) results.detailCached = await measure(ctx, 'details, cached', () => detailPath);

  progress(`browse: adding ${BENCH.catalogEvents.toLocaleString('en')} events to the catalogue`);
  await createCatalog(pool, organizerId, BENCH.catalogEvents, BENCH.browseEvents + 1);
  if (detailExists) {
    const ids = (await pool.query('SELECT id FROM events ORDER BY random()')).rows.map((row) => row.id);
    results.detailUncached = await measure(ctx, 'details, uncached', () => `${LIST}${ids[unique() % ids.length]}/`);
  }
  if (listExists) {
    const path = () => searchPath(1000 + unique() / 100);
    results.search100k = await measure(ctx, `search over ${BENCH.catalogEvents} events`, path);
    await apisIdle(ctx.processes);
    results.search100kLowConcurrency = await measure(ctx, 'search, low concurrency', path, BENCH.searchConnections);
  }
  return {
    catalogEvents: BENCH.catalogEvents,
    warmup: results.warmup ?? MISSING,
    listCached: results.listCached ?? MISSING,
    listUncached: results.listUncached ?? MISSING,
    detailCached: results.detailCached ?? MISSING,
    detailUncached: results.detailUncached ?? MISSING,
    search100k: results.search100k ?? MISSING,
    search100kLowConcurrency: results.search100kLowConcurrency ?? MISSING,
  };
}

/**
 * The spec's filters: a text search, a price range and a date window; `maxPrice` varies the cache key. The fixed part
 * is built once: the client shares the machine with the apis, so work it does per request (dates, URL encoding) is
 * CPU the apis lose, and baseline (a)'s client does none.
 */
function searchPaths() {
  const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const filters = new URLSearchParams({ search: 'jazz', min_price: '20', date_from: day(0), date_to: day(90) });
  return (maxPrice) => `${LIST}?${filters}&max_price=${maxPrice.toFixed(2)}`;
}

async function answers({ apiPorts }, path) {
  const response = await globalThis.fetch(`http://127.0.0.1:${apiPorts[0]}${path}`);
  await response.arrayBuffer();
  return response.status !== 404;
}

/**
 * The freshly started apps' first `readWarmupSeconds` of cached reads, the list and details in turn: reported, not
 * a target, so that the measurements after it see the apps as a service that has been running is seen.
 */
async function warmUp(ctx, paths) {
  progress(`browse: warming the apis up with ${BENCH.readWarmupSeconds} s of cached reads`);
  const requestFor = (connection) => {
    let sent = connection;
    return () => ({ path: paths[sent++ % paths.length] });
  };
  const ports = ctx.apiPorts;
  const result = await runLoad({ label: 'warm-up', ports, seconds: BENCH.readWarmupSeconds, requestFor });
  return reported('warm-up', result, BENCH.connections);
}

/**
 * A warmed-up load of `pathOf()` reads, with the apis' and PostgreSQL's CPU per response. The warm-up's last requests,
 * abandoned in flight when it stops, are worked off before the measurement starts.
 */
async function measure(ctx, label, pathOf, connections = BENCH.connections) {
  const requestFor = () => () => ({ path: pathOf() });
  const ports = ctx.apiPorts.slice(0, Math.min(ctx.apiPorts.length, connections));
  await runLoad({ label: `${label} warm-up`, ports, connections, seconds: BENCH.warmupSeconds, requestFor });
  await apisIdle(ctx.processes);
  const before = { api: ctx.processes.cpuMs('api'), postgres: postgresCpuSnapshot() };
  const result = await runLoad({ label, ports, connections, seconds: BENCH.loadSeconds, requestFor });
  const cpu = {
    apiMsPerRequest: cpuMsPer(before.api, ctx.processes.cpuMs('api'), result.responses),
    postgresMsPerRequest: cpuMsPer(0, postgresCpuMsSince(before.postgres), result.responses),
  };
  return { ...reported(label, result, connections), cpu };
}

/** A load's result as the report keeps it, after a progress line. */
function reported(label, result, connections) {
  progress(`  ${label}: ${result.rps.toLocaleString('en')} req/s, p99 ${result.latencyMs.p99} ms`);
  return { connections, ...withoutTags(result) };
}

/**
 * Waits until the apis are idle: when a load stops, the apis still work through the requests it left queued
 * (seconds of them after a database-bound phase at 500 connections), which would land in the next measurement.
 */
async function apisIdle(processes) {
  let cpuMs = processes.cpuMs('api');
  await sleep(IDLE_CHECK_MS);
  await waitFor(
    'the apis to finish the queued requests',
    () => {
      const now = processes.cpuMs('api');
      const busy = now - cpuMs > IDLE_CPU_MS_PER_CHECK;
      cpuMs = now;
      return !busy;
    },
    BENCH.settleTimeoutMs,
    IDLE_CHECK_MS,
  ).catch((error) => progress(`  ${error.message}; measuring anyway`));
}

const IDLE_CHECK_MS = 500;
const IDLE_CPU_MS_PER_CHECK = 50;

function counter() {
  let n = 0;
  return () => n++;
}
