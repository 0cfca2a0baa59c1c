// Container healthchecks (Dockerfile HEALTHCHECK and docker-compose.yml): exit 0 when healthy, 1 otherwise.
//   node tools/docker-healthcheck.mjs api     the api answers /api/health/ with the database and Redis up
//   node tools/docker-healthcheck.mjs worker  a BullMQ worker of this container (host name) is connected to Redis
/* global AbortSignal */
import { Buffer } from 'node:buffer';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { hostname } from 'node:os';

import Redis from 'ioredis';

const TIMEOUT_MS = 4000;
/** Connection errors that mean nothing listens at that address (rather than an api too slow to answer). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EAFNOSUPPORT']);

// The apps read `.env` from their working directory as well as the environment (real variables win), except under
// NODE_ENV=test: so does this.
if (process.env.NODE_ENV !== 'test' && existsSync('.env')) process.loadEnvFile('.env');

/** Why the api is not healthy, or nothing when it is. */
async function apiProblem() {
  const { status, body } = await getHealthAtAny(apiAddresses(process.env.LISTEN_HOST), process.env.PORT ?? '8000');
  // 503 "degraded" means no worker is up yet (or, where configured, a booking backlog): the api itself serves.
  if (status === 200 || (status === 503 && statusIn(body) === 'degraded')) return undefined;
  const hint = status === 400 ? ' (ALLOWED_HOSTS must keep localhost, the name this check asks by)' : '';
  return `the api answered ${status}${hint}: ${body.slice(0, 500)}`;
}

function statusIn(body) {
  try {
    return JSON.parse(body).status;
  } catch {
    return undefined;
  }
}

/**
 * Where the api can be reached from inside its container, in the order to try: the address LISTEN_HOST names, or for
 * a wildcard the loopback, not `localhost` (which may resolve to ::1 while the api listens on 0.0.0.0). `::` takes
 * IPv4 too unless the system keeps IPv6 sockets to IPv6 (bindv6only), so ::1 is tried after 127.0.0.1.
 */
function apiAddresses(listenHost = '0.0.0.0') {
  if (listenHost === '0.0.0.0') return ['127.0.0.1'];
  if (listenHost === '::') return ['127.0.0.1', '::1'];
  return [listenHost];
}

/** The first answer from any of `hosts`; a host where nothing listens passes the turn to the next. */
async function getHealthAtAny(hosts, port) {
  for (const [index, host] of hosts.entries()) {
    try {
      return await getHealth(host, port);
    } catch (error) {
      if (index === hosts.length - 1 || !UNREACHABLE.has(error.code)) throw error;
    }
  }
}

/** GET /api/health/ with `Host: localhost`, the name ALLOWED_HOSTS is documented to keep for this check. */
function getHealth(host, port) {
  return new Promise((resolve, reject) => {
    const options = { host, port, path: '/api/health/', headers: { host: 'localhost' } };
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

/**
 * A live BullMQ worker of this container: a connection named for the bookings queue and this host (the workers'
 * name is `<host name>:<pid>`, libs/queue WORKER_NAME). The name, not the address Redis sees, since NAT or a proxy
 * between the container and Redis shows Redis another address.
 */
async function workerProblem() {
  const prefix = process.env.REDIS_PREFIX ?? 'evently';
  const queue = `${prefix}:bull:${Buffer.from('bookings').toString('base64')}`;
  const ownWorker = `${queue}:w:${hostname()}:`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
    lazyConnect: true,
    connectTimeout: TIMEOUT_MS,
    maxRetriesPerRequest: 0,
  });
  try {
    await redis.connect();
    const clients = String(await redis.client('LIST')).split('\n');
    if (clients.some((line) => / name=(\S*)/.exec(line)?.[1].startsWith(ownWorker))) return undefined;
    return `no worker of ${hostname()} is connected to Redis under REDIS_PREFIX ${prefix}`;
  } finally {
    redis.disconnect();
  }
}

// Docker keeps what a failed check prints (`docker inspect`), so an unhealthy one says why.
const checks = { api: apiProblem, worker: workerProblem };
const check = checks[process.argv[2]];
if (!check) {
  console.error('usage: node tools/docker-healthcheck.mjs api|worker');
  process.exit(2);
}
check().then(
  (problem) => {
    if (problem) console.error(`unhealthy: ${problem}`);
    process.exit(problem ? 1 : 0);
  },
  (error) => {
    console.error(`unhealthy: ${error.message || error.code}`);
    process.exit(1);
  },
);
