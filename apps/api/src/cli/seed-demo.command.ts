import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';

import { ResponseCache } from '@evently/cache';
import { AppConfig } from '@evently/config';
import { UsersService } from '@evently/users';

const DEMO_PASSWORD = 'evently-demo-password';

/** Fills a database with a few staff users, attendees, events and bookings to explore in Swagger UI. */
export async function seedDemo(app: INestApplicationContext, log: (line: string) => void): Promise<string> {
  if (!app.get(AppConfig).debug) {
    throw new Error(
      'seed-demo runs only with DEBUG=True: its accounts, a superuser among them, share a published password',
    );
  }
  const users = app.get(UsersService);
  const dataSource = app.get(DataSource);
  const existing = await dataSource.query(`SELECT 1 FROM users WHERE username = 'demo_admin'`);
  if (existing.length > 0) return 'Demo data is already there (user demo_admin exists); nothing to do.';

  log('1/4 creating staff users demo_admin (superuser) and demo_staff');
  const admin = await users.create(
    { username: 'demo_admin', email: 'admin@evently.test', password: DEMO_PASSWORD },
    { isStaff: true, isSuperuser: true },
  );
  await users.create(
    { username: 'demo_staff', email: 'staff@evently.test', password: DEMO_PASSWORD },
    { isStaff: true, isSuperuser: false },
  );

  log('2/4 creating 5 attendees demo_user1..5');
  const attendees = [];
  for (let index = 1; index <= 5; index++) {
    attendees.push(
      await users.create({
        username: `demo_user${index}`,
        email: `user${index}@evently.test`,
        password: DEMO_PASSWORD,
      }),
    );
  }

  log('3/4 creating 6 events');
  const events: { id: string; price_per_ticket: string }[] = await dataSource.query(
    `INSERT INTO events (name, venue, time, capacity, description, price_per_ticket, organizer_id)
     SELECT 'Demo event ' || n, (ARRAY['Convention Center', 'Open Air Stage', 'Jazz Club'])[1 + n % 3],
            now() + n * interval '7 days', 50 * n, 'A demo event to explore the API.', 10 * n + 0.5, $1
       FROM generate_series(1, 6) AS n
     RETURNING id, price_per_ticket`,
    [admin.id],
  );

  log('4/4 creating confirmed bookings');
  for (const [index, attendee] of attendees.entries()) {
    const event = events[index % events.length];
    const tickets = 1 + (index % 3);
    await dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO bookings (event_id, user_id, ticket_count, total_amount, status, confirmed_at)
         VALUES ($1, $2, $3::int, $4::numeric * $3::int, 'confirmed', now())`,
        [event.id, attendee.id, tickets, event.price_per_ticket],
      );
      await manager.query(`UPDATE events SET booked_tickets = booked_tickets + $2 WHERE id = $1`, [event.id, tickets]);
    });
  }
  // As every writer does after its commit: apis already running would otherwise serve their cached lists for minutes.
  if (!(await app.get(ResponseCache).invalidateEvents(events.map((event) => event.id)))) {
    console.error(
      'warning: Redis did not take the cache bump: running apis may list events without these for 5 minutes',
    );
  }
  return `Demo data ready. Log in as demo_admin / ${DEMO_PASSWORD} (or demo_user1..5 with the same password).`;
}
