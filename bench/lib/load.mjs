import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';

import autocannon from 'autocannon';

import { BENCH } from '../config.mjs';
import { progress } from './progress.mjs';
import { round, summarize } from './stats.mjs';

const PROGRESS_EVERY_MS = 2000;

/**
 * Runs autocannon against each port at once (connections split evenly) and records every response exactly:
 * status, latency and the tag of the request it answers. `requestFor(connection)` returns the function that
 * builds that connection's next request as `{ path, method?, headers?, body?, tag? }`.
 *
 * Connections send one request at a time, so the response autocannon reports always answers the request
 * built last on that connection: that is how each response finds its tag. Each connection's first request is also
 * summarised apart: autocannon times it from before the connection opens, and they all arrive at once.
 */
export async function runLoad({ label, ports, connections = BENCH.connections, seconds, requests, requestFor }) {
  const record = {
    latencies: [],
    firstLatencies: [],
    laterLatencies: [],
    latenciesByStatus: new Map(),
    tags: new Map(),
    last: 0,
  };
  const perPort = Math.floor(connections / ports.length);
  const startedAt = performance.now();
  const startedAtWall = Date.now();
  const ticker = setInterval(() => {
    const done = record.latencies.length;
    const rate = done / ((performance.now() - startedAt) / 1000);
    progress(`  ${label}: ${done.toLocaleString('en')} responses, ${Math.round(rate).toLocaleString('en')} req/s`);
  }, PROGRESS_EVERY_MS);
  try {
    const results = await Promise.all(
      ports.map((port, index) =>
        runOne({
          port,
          connections: perPort,
          seconds,
          amount: requests === undefined ? undefined : Math.floor(requests / ports.length),
          // Interleaved over the ports, so neighbouring connection numbers (an event's users) reach both apis.
          requestFor: (connection) => requestFor(connection * ports.length + index),
          record,
        }),
      ),
    );
    const total = record.latencies.length;
    // Up to the last answer; a load nobody answered spans its whole time, at 0 req/s.
    const elapsedMs = (total > 0 ? record.last : performance.now()) - startedAt;
    const byStatus = [...record.latenciesByStatus].sort(([a], [b]) => a - b);
    const latencyMs = summarize(record.latencies);
    const atOrOverP99 = (samples) => samples.filter((sample) => round(sample) >= latencyMs.p99).length;
    return {
      startedAtWall,
      seconds: round(elapsedMs / 1000, 2),
      responses: total,
      rps: Math.round(total / (elapsedMs / 1000)),
      latencyMs,
      latencyMsByStatus: Object.fromEntries(byStatus.map(([status, samples]) => [status, summarize(samples)])),
      latencyMsOfFirstRequests: summarize(record.firstLatencies),
      latencyMsOfLaterRequests: summarize(record.laterLatencies),
      /** The answers at or over the p99, and how many of them were their connection's first. */
      tailAnswers: { all: atOrOverP99(record.latencies), firstRequests: atOrOverP99(record.firstLatencies) },
      statuses: Object.fromEntries(byStatus.map(([status, samples]) => [status, samples.length])),
      serverErrors: byStatus.filter(([status]) => status >= 500).reduce((sum, [, samples]) => sum + samples.length, 0),
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      timeouts: results.reduce((sum, result) => sum + result.timeouts, 0),
      tags: record.tags,
    };
  } finally {
    clearInterval(ticker);
  }
}

function runOne({ port, connections, seconds, amount, requestFor, record }) {
  let connection = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        ...(amount === undefined ? { duration: seconds } : { amount }),
        timeout: BENCH.requestTimeoutSeconds,
        setupClient(client) {
          const next = requestFor(connection++);
          let current;
          let answered = false;
          client.setRequests([
            {
              setupRequest(request) {
                current = next();
                return { ...request, method: 'GET', ...current };
              },
            },
          ]);
          client.on('response', (status, _bytes, latencyMs) => {
            record.latencies.push(latencyMs);
            (answered ? record.laterLatencies : record.firstLatencies).push(latencyMs);
            answered = true;
            const ofStatus = record.latenciesByStatus.get(status) ?? [];
            ofStatus.push(latencyMs);
            record.latenciesByStatus.set(status, ofStatus);
            record.last = performance.now();
            if (current.tag !== undefined) {
              const byStatus = record.tags.get(current.tag) ?? new Map();
              byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
              record.tags.set(current.tag, byStatus);
            }
          });
        },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}
