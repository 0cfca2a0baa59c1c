import { cpus, loadavg, totalmem } from 'node:os';

import { ratio } from './stats.mjs';

const fmt = (value, unit = '') =>
  value === null || value === undefined ? 'n/a' : `${Number(value).toLocaleString('en')}${unit}`;

export function machine(postgresVersion, redisVersion) {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgres: postgresVersion,
    redis: redisVersion,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** Each target of issue 6, as a ratio to the same run's baselines where it is one. */
export function targets({ baselines, storm, manyEvents, browse, memory }) {
  const { bareHttp, hotRow, coldRow } = baselines;
  const apis = memory.filter((entry) => entry.name.startsWith('api'));
  const growth = apis
    .filter((entry) => entry.peakByPhaseMb.storm !== undefined)
    .map((entry) => (entry.peakByPhaseMb['storm repeat'] ?? 0) - entry.peakByPhaseMb.storm);
  const check = (name, value, goal, met) => ({
    name,
    value,
    goal,
    met: value === null || value === undefined ? null : met,
  });
  const accepted = (name, run) =>
    check(
      name,
      run.acceptedPerSecond,
      `≥ ${fmt(Math.round(0.75 * coldRow.tps))} (${ratio(run.acceptedPerSecond, coldRow.tps)} × c)`,
      run.acceptedPerSecond >= 0.75 * coldRow.tps,
    );
  const cachedRead = (name, result) =>
    check(
      name,
      result.rps,
      `≥ ${fmt(Math.round(0.5 * bareHttp.rps))} (${ratio(result.rps, bareHttp.rps)} × a)${otherAnswersNote(result)}`,
      answeredOk(result) && result.rps >= 0.5 * bareHttp.rps,
    );
  return [
    check(
      'settled bookings/s, hot event ≥ 3 × (b)',
      storm.settledPerSecond,
      `≥ ${fmt(3 * hotRow.tps)} (${ratio(storm.settledPerSecond, hotRow.tps)} × b)`,
      storm.settledPerSecond >= 3 * hotRow.tps,
    ),
    accepted('accepted POST/s, on-sale storm ≥ 0.75 × (c)', storm),
    accepted('accepted POST/s, many events ≥ 0.75 × (c)', manyEvents),
    check(
      'accept p99 at 500 connections < 250 ms',
      storm.load.latencyMs.p99,
      '< 250 ms',
      storm.load.latencyMs.p99 < 250,
    ),
    cachedRead('cached list req/s ≥ 0.5 × (a)', browse.listCached),
    cachedRead('cached details req/s ≥ 0.5 × (a)', browse.detailCached),
    check(
      `filtered search p99, 100k events, ${browse.search100kLowConcurrency.connections ?? 'few'} conns < 50 ms`,
      browse.search100kLowConcurrency.latencyMs?.p99,
      `< 50 ms${otherAnswersNote(browse.search100kLowConcurrency)}`,
      answeredOk(browse.search100kLowConcurrency) && browse.search100kLowConcurrency.latencyMs?.p99 < 50,
    ),
    check(
      'peak RSS per api process < 250 MB',
      Math.max(...apis.map((entry) => entry.peakRssMb)),
      '< 250 MB',
      apis.every((entry) => entry.peakRssMb < 250),
    ),
    check(
      'api RSS growth, storm → repeated storm (peaks)',
      Math.max(...growth),
      'no growth (≤ 10 MB)',
      growth.every((mb) => mb <= 10),
    ),
  ];
}

/** A read measurement counts only when every request was answered 200: an error answered fast is no read. */
function answeredOk(result) {
  return (
    result.responses > 0 && result.errors === 0 && Object.keys(result.statuses).every((status) => status === '200')
  );
}

/** Whether a read measurement that ran had an answer other than 200 (a missing endpoint's did not run). */
export function hadOtherAnswers(result) {
  return result.responses !== undefined && !answeredOk(result);
}

function otherAnswersNote(result) {
  return hadOtherAnswers(result) ? ', with answers other than 200' : '';
}

/** The storms of a run in order: the key of each one's results, and its title in the table. */
export const STORMS = [
  ['warmup', 'Warm-up: 10 events × 100,000 seats'],
  ['storm', 'On-sale storm: 1 event × 5,000 seats'],
  ['stormRepeat', 'On-sale storm, repeated (fresh event)'],
  ['manyEvents', 'Many events: 1,000 events × 20 seats'],
];

/** Each connection's first request: autocannon times it from before the connection opens, and all arrive at once. */
function firstRequests(load) {
  const first = load.latencyMsOfFirstRequests;
  const tail = load.tailAnswers;
  return [
    `p50 ${fmt(first.p50)} ms`,
    `p99 ${fmt(first.p99)} ms; ${fmt(tail.firstRequests)} of the ${fmt(tail.all)} answers at or over the p99; ` +
      `the other answers' p99 ${fmt(load.latencyMsOfLaterRequests.p99)} ms`,
  ];
}

/** The human table: one line per figure, then the targets. */
export function table(results) {
  const { machine: m, baselines, browse, memory } = results;
  const rows = [];
  const section = (title) => rows.push([title, '', '']);
  const row = (name, value, note = '') => rows.push([`  ${name}`, value, note]);
  const http = (result) =>
    result.rps === undefined
      ? [result.status, '']
      : [
          `${fmt(result.rps)} req/s`,
          `p50 ${fmt(result.latencyMs.p50)} / p99 ${fmt(result.latencyMs.p99)} ms, ${statusNote(result)}`,
        ];

  section('Baselines');
  row('(a) bare node:http JSON', ...http(baselines.bareHttp));
  const { bareHttpStorm: bareStorm } = baselines;
  row(
    "  the storm's load on it: accept latency (no target)",
    `p50 ${fmt(bareStorm.latencyMs.p50)} ms`,
    `p99 ${fmt(bareStorm.latencyMs.p99)} ms, max ${fmt(bareStorm.latencyMs.max)} ms`,
  );
  row("    each connection's first request", ...firstRequests(bareStorm));
  for (const [key, name] of [
    ['hotRow', '(b) booking txn, one hot event'],
    ['coldRow', '(c) booking txn, cold rows'],
  ]) {
    const loop = baselines[key];
    row(name, `${fmt(loop.tps)} txn/s`, `${loop.connections} pg conns, p99 ${fmt(loop.latencyMs.p99)} ms`);
  }
  for (const [key, title] of STORMS) {
    const run = results[key];
    section(`${title}, ${fmt(run.requests)} POSTs, ${fmt(run.load.responses)} answered`);
    row(
      'accepted POST/s (201 + 409)',
      `${fmt(run.acceptedPerSecond)} req/s`,
      `201: ${fmt(run.created)}, 409: ${fmt(run.refused)}`,
    );
    row(
      'accept latency',
      `p50 ${fmt(run.load.latencyMs.p50)} ms`,
      `p99 ${fmt(run.load.latencyMs.p99)} ms, max ${fmt(run.load.latencyMs.max)} ms`,
    );
    for (const [status, label] of [
      [201, '201s (seats left)'],
      [409, '409s (sold out)'],
    ]) {
      const latency = run.load.latencyMsByStatus?.[status];
      if (latency) row(`  ${label}`, `p50 ${fmt(latency.p50)} ms`, `p99 ${fmt(latency.p99)} ms`);
    }
    row("  each connection's first request", ...firstRequests(run.load));
    row(
      'bookings settled/s',
      `${fmt(run.settledPerSecond)} /s`,
      `${fmt(run.settled)} settled in ${run.settleSeconds} s (confirmed tickets ${fmt(run.confirmedPerSecond)}/s)`,
    );
    row(
      'CPU per request (apis) / per settled booking (workers)',
      `${fmt(run.cpu.apiMsPerRequest)} ms`,
      `${fmt(run.cpu.workerMsPerSettled)} ms`,
    );
    row("  of the apis', on V8's helper threads (compilers, collector)", `${fmt(run.cpu.apiV8HelperMsPerRequest)} ms`);
    row("  PostgreSQL's per request, accepting and settling", fmt(run.cpu.postgresMsPerRequest, ' ms'));
    const inv = run.invariants;
    row(
      'invariants',
      inv.ok ? 'hold' : 'BROKEN',
      `confirmed ${fmt(inv.confirmedTickets)}/${fmt(inv.capacity)}, oversold ${inv.oversold}, counter≠rows ${inv.counterMismatches}, ` +
        `unsold ${inv.unsoldDespiteDemand}, pending ${inv.stillPending}, lost ${inv.lostOrExtraBookings}, 5xx ${inv.serverErrors}, ` +
        `client errors ${inv.clientErrors}, other statuses ${inv.otherStatuses}`,
    );
  }
  section(`Browse (${fmt(results.config.connections)} conns unless noted)`);
  if (browse.warmup) row(`cached reads, first ${results.config.readWarmupSeconds} s (warm-up)`, ...http(browse.warmup));
  row('GET /api/user/events/?filter, cached', ...http(browse.listCached));
  row(`GET /api/user/events/?filter, uncached (${fmt(results.config.browseEvents)})`, ...http(browse.listUncached));
  row('GET /api/user/events/{id}/, cached', ...http(browse.detailCached));
  row(`GET /api/user/events/{id}/, uncached (+${fmt(browse.catalogEvents)})`, ...http(browse.detailUncached));
  row(`filtered search, +${fmt(browse.catalogEvents)} events`, ...http(browse.search100k));
  row(
    `filtered search, +${fmt(browse.catalogEvents)}, ${results.config.searchConnections} conns`,
    ...http(browse.search100kLowConcurrency),
  );
  const searchCpu = browse.search100kLowConcurrency.cpu;
  if (searchCpu) {
    row(
      '  CPU per search, apis / PostgreSQL',
      fmt(searchCpu.apiMsPerRequest, ' ms'),
      fmt(searchCpu.postgresMsPerRequest, ' ms'),
    );
  }
  section('Memory (peak RSS; RSS idle → after browse, or → peak in storm → peak in repeat)');
  for (const entry of memory) {
    const phases = entry.peakByPhaseMb;
    const later = phases.storm === undefined ? [entry.rssByPhaseMb.browse] : [phases.storm, phases['storm repeat']];
    const idle = entry.rssByPhaseMb.idle;
    row(entry.name, `${fmt(entry.peakRssMb)} MB`, `${[idle, ...later].map((mb) => fmt(mb)).join(' → ')} MB`);
  }
  section('Targets');
  for (const target of results.targets) {
    row(
      target.name,
      fmt(target.value),
      `${target.goal}: ${target.met === null ? 'n/a' : target.met ? 'met' : 'NOT met'}`,
    );
  }

  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const header =
    `Evently benchmark, run ${results.runId}: ${m.nproc} cores (${m.cpu}), ${m.memoryGb} GB RAM, Node ${m.node}, ` +
    `PostgreSQL ${m.postgres}, Redis ${m.redis}; load average at start ${m.loadAverageAtStart.join(' ')}; ` +
    `CPU probe ${m.cpuProbeMs.start} ms at start, ${m.cpuProbeMs.end ?? 'n/a'} ms at end; ${results.durationSeconds} s`;
  return [
    header,
    ...rows.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padStart(r[1] ? widths[1] : 0)}  ${r[2]}`),
  ].join('\n');
}

function statusNote(result) {
  const codes = Object.entries(result.statuses)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  // autocannon counts its timeouts among the errors.
  return result.errors > 0 ? `${codes}, ${result.errors} errors` : codes;
}
