import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';

import pg from 'pg';

const MIGRATE_ENTRY = 'dist/apps/api/apps/api/src/cli/main.js';
const VENUES = ['Grand Hall', 'Riverside Arena', 'Old Theatre', 'Harbour Club', 'City Stadium', 'Jazz Cellar'];
const KINDS = ['jazz', 'rock', 'tech', 'summit', 'film', 'food', 'art', 'comedy', 'poetry', 'science'];

/** Creates and migrates the bench database with the real CLI, as `npm run migration:run` would; a failure says why. */
export function migrate(env) {
  const result = spawnSync(process.execPath, [MIGRATE_ENTRY, 'migrate'], { env, encoding: 'utf8' });
  if (result.status === 0) return;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || result.error?.message;
  throw new Error(`migrating the bench database failed: ${output}`);
}

export async function dropDatabase(url) {
  const maintenance = new URL(url);
  const name = maintenance.pathname.slice(1);
  if (!name.startsWith('evently_bench_')) throw new Error(`refusing to drop ${name}`);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Users with ready-made tokens, written straight to the tables (registering through argon2 would dominate). */
export async function seedUsers(pool, secretKey, count, { staff = false, prefix = 'bench' } = {}) {
  const { rows } = await pool.query(
    `INSERT INTO users (username, email, password, is_staff)
     SELECT $1 || '_' || g, $1 || '_' || g || '@bench.test', '!unusable', $3
       FROM generate_series(1, $2) AS g
     RETURNING id`,
    [prefix, count, staff],
  );
  const users = rows.map((row) => ({ id: row.id, token: randomBytes(32).toString('hex') }));
  await pool.query(`INSERT INTO auth_tokens (token_hash, user_id) SELECT * FROM unnest($1::text[], $2::int[])`, [
    users.map((user) => createHmac('sha256', secretKey).update(user.token).digest('hex')),
    users.map((user) => user.id),
  ]);
  return users;
}

/** `count` active future events with the same capacity; returns their ids in creation order. */
export async function createEvents(pool, organizerId, count, capacity, namePrefix) {
  const { rows } = await pool.query(
    `INSERT INTO events (name, venue, time, capacity, description, price_per_ticket, organizer_id)
     SELECT $1 || ' ' || g, ($5::text[])[1 + g % array_length($5::text[], 1)], now() + interval '30 days',
            $3, 'A benchmark event', 25.00, $4
       FROM generate_series(1, $2) AS g
     ORDER BY g
     RETURNING id`,
    [namePrefix, count, capacity, organizerId, VENUES],
  );
  return rows.map((row) => row.id);
}

/**
 * A browsable catalogue: varied names, venues, prices and dates, spread over the next year. Event `first` is the
 * catalogue's `first`-th, so a second call can go on where the first stopped.
 */
export async function createCatalog(pool, organizerId, count, first = 1) {
  await pool.query(
    `INSERT INTO events (name, venue, time, capacity, booked_tickets, description, price_per_ticket, organizer_id)
     SELECT initcap(($3::text[])[1 + g % array_length($3::text[], 1)]) || ' night ' || g,
            ($4::text[])[1 + (g / 7) % array_length($4::text[], 1)],
            date_trunc('hour', now()) + make_interval(days => 1 + g % 365, hours => g % 24),
            100 + g % 900, g % 100,
            'An evening of ' || ($3::text[])[1 + (g / 3) % array_length($3::text[], 1)] || ' with guests',
            (5 + g % 196)::numeric + 0.99, $2
       FROM generate_series($5::int, $5::int + $1 - 1) AS g`,
    [count, organizerId, KINDS, VENUES, first],
  );
  // As after any bulk load (pgbench does the same): otherwise autovacuum works through the new rows, and the
  // trigram indexes' pending lists, while the searches are being measured.
  await pool.query('VACUUM (ANALYZE) events');
}
