import { INestApplicationContext } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

import { CacheInvalidation } from '@evently/cache';
import { AppConfig } from '@evently/config';
import { UsersService } from '@evently/users';

const DEMO_PASSWORD = 'evently-demo-password';
const EVENTS = 6;

interface DemoUser {
  username: string;
  email: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
}

const STAFF: DemoUser[] = [
  { username: 'demo_admin', email: 'admin@evently.test', isStaff: true, isSuperuser: true },
  { username: 'demo_staff', email: 'staff@evently.test', isStaff: true },
];
const ATTENDEES: DemoUser[] = [1, 2, 3, 4, 5].map((n) => ({
  username: `demo_user${n}`,
  email: `user${n}@evently.test`,
}));

/**
 * Fills a database with a few staff users, attendees, events and bookings to explore in Swagger UI. Each step adds
 * only what is missing, so a run stopped halfway (Ctrl-C while hashing passwords, say) is finished by the next.
 */
export async function seedDemo(app: INestApplicationContext, log: (line: string) => void): Promise<string> {
  if (!app.get(AppConfig).debug) {
    throw new Error(
      'seed-demo runs only with DEBUG=True: its accounts, a superuser among them, share a published password',
    );
  }
  const dataSource = app.get(DataSource);
  const staff = await ensureUsers(app, STAFF);
  log(`1/4 staff users demo_admin (superuser) and demo_staff: ${added(staff.created)}`);
  const attendees = await ensureUsers(app, ATTENDEES);
  log(`2/4 attendees demo_user1..5: ${added(attendees.created)}`);
  const invalidation = app.get(CacheInvalidation);
  // As every writer does: the cache bump is recorded with the rows, so running apis pay it should Redis refuse it here.
  const { events, booked, owed } = await dataSource.transaction(async (manager) => {
    const events = await ensureEvents(manager, staff.ids[0]);
    let booked = 0;
    for (const [index, attendeeId] of attendees.ids.entries()) {
      const event = events.records[index % EVENTS];
      if (await ensureBooking(manager, attendeeId, event, 1 + (index % 3))) booked++;
    }
    const changed = events.created + booked > 0;
    const owed = changed
      ? await invalidation.owe(
          manager,
          events.records.map(({ id }) => id),
        )
      : null;
    return { events, booked, owed };
  });
  if (owed) await invalidation.pay(owed);
  log(`3/4 ${EVENTS} events: ${added(events.created)}`);
  log(`4/4 confirmed bookings: ${added(booked)}`);

  if (staff.created + attendees.created + events.created + booked === 0) {
    return 'Demo data is already there; nothing to do.';
  }
  return `Demo data ready. Log in as demo_admin / ${DEMO_PASSWORD} (or demo_user1..5 with the same password).`;
}

function added(count: number): string {
  return count === 0 ? 'already there' : `added ${count}`;
}

/** The ids of the demo users, each created unless its username exists, and how many were. */
async function ensureUsers(
  app: INestApplicationContext,
  demoUsers: DemoUser[],
): Promise<{ ids: number[]; created: number }> {
  const dataSource = app.get(DataSource);
  const ids: number[] = [];
  let created = 0;
  for (const { username, email, isStaff = false, isSuperuser = false } of demoUsers) {
    const [existing] = await dataSource.query(`SELECT id FROM users WHERE username = $1`, [username]);
    if (existing) {
      ids.push(existing.id);
      continue;
    }
    const user = await app
      .get(UsersService)
      .create({ username, email, password: DEMO_PASSWORD }, { isStaff, isSuperuser });
    ids.push(user.id);
    created++;
  }
  return { ids, created };
}

interface DemoEvent {
  id: string;
  price_per_ticket: string;
}

/** The demo events, numbered 1 to {@link EVENTS}; those missing are added in one statement. */
async function ensureEvents(
  manager: EntityManager,
  organizerId: number,
): Promise<{ records: DemoEvent[]; created: number }> {
  const inserted: unknown[] = await manager.query(
    `INSERT INTO events (name, venue, time, capacity, description, price_per_ticket, organizer_id)
     SELECT 'Demo event ' || n, (ARRAY['Convention Center', 'Open Air Stage', 'Jazz Club'])[1 + n % 3],
            now() + n * interval '7 days', 50 * n, 'A demo event to explore the API.', 10 * n + 0.5, $1
       FROM generate_series(1, $2::int) AS n
      WHERE NOT EXISTS (SELECT 1 FROM events e
                         WHERE e.organizer_id = $1 AND e.name = 'Demo event ' || n AND e.deleted_at IS NULL)
     RETURNING id`,
    [organizerId, EVENTS],
  );
  const records: DemoEvent[] = await manager.query(
    `SELECT DISTINCT ON (name) id, price_per_ticket FROM events
      WHERE organizer_id = $1 AND name = ANY (SELECT 'Demo event ' || n FROM generate_series(1, $2::int) AS n)
        AND deleted_at IS NULL
      ORDER BY name, created_at`,
    [organizerId, EVENTS],
  );
  return { records, created: inserted.length };
}

/** One confirmed booking of `tickets` for the attendee at the event, unless they have one there: whether it added it. */
async function ensureBooking(
  manager: EntityManager,
  userId: number,
  event: DemoEvent,
  tickets: number,
): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, confirmed_at)
     SELECT $1, $2, $3::int, $4::numeric * $3::int, 'confirmed', now()
      WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE event_id = $1 AND user_id = $2)
     RETURNING id`,
    [event.id, userId, tickets, event.price_per_ticket],
  );
  if (rows.length === 0) return false;
  await manager.query(`UPDATE events SET booked_tickets = booked_tickets + $2 WHERE id = $1`, [event.id, tickets]);
  return true;
}
