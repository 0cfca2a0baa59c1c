// Container healthchecks (Dockerfile HEALTHCHECK and docker-compose.yml): exit 0 when healthy, 1 otherwise.
//   node tools/docker-healthcheck.mjs api     the api answers /api/health/ with the database and Redis up
//   node tools/docker-healthcheck.mjs worker  this container holds a live BullMQ worker connection in Redis
/* global AbortSignal */
import { Buffer } from 'node:buffer';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';

import Redis from 'ioredis';

const TIMEOUT_MS = 4000;

async function apiHealthy() {
  const { status, body } = await getHealth(process.env.PORT ?? '8000');
  // 503 "degraded" only means no worker is up yet: the api itself serves, and bookings wait in the queue.
  return status === 200 || (status === 503 && JSON.parse(body).status === 'degraded');
}

/**
 * GET /api/health/ with `Host: localhost`, the name ALLOWED_HOSTS is documented to keep for this check. The
 * connection goes to 127.0.0.1 rather than to `localhost`, which may resolve to ::1 while the api listens on
 * 0.0.0.0 (IPv4) only.
 */
function getHealth(port) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: '/api/health/', headers: { host: 'localhost' } };
    request({ ...options, signal: AbortSignal.timeout(TIMEOUT_MS) }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function workerHealthy() {
  const prefix = `${process.env.REDIS_PREFIX ?? 'evently'}:bull:${Buffer.from('bookings').toString('base64')}`;
  const ownAddresses = new Set(
    Object.values(networkInterfaces())
      .flat()
      .map((address) => address.address),
  );
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
  });
  try {
    await redis.connect();
    const clients = String(await redis.client('LIST')).split('\n');
    return clients.some((line) => {
      const fields = Object.fromEntries(line.split(' ').map((field) => field.split(/=(.*)/s).slice(0, 2)));
      const name = fields.name ?? '';
      const host = (fields.addr ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      return (name === prefix || name.startsWith(`${prefix}:w:`)) && ownAddresses.has(host);
    });
  } finally {
    redis.disconnect();
  }
}

const checks = { api: apiHealthy, worker: workerHealthy };
const check = checks[process.argv[2]];
if (!check) {
  console.error('usage: node tools/docker-healthcheck.mjs api|worker');
  process.exit(2);
}
check().then(
  (healthy) => process.exit(healthy ? 0 : 1),
  (error) => {
    console.error(`unhealthy: ${error.message}`);
    process.exit(1);
  },
);
