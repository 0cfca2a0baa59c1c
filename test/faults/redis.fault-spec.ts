import { jobIds } from '@evently/queue';
import { eventually } from '@evently/testing';

import { expectErrorShape } from '../support/error-shape';
import { ApiProcess, bookingIdOf, FaultSystem, Outcome, request, timedRequest } from './support/fault-system';
import { expectUnhealthyNaming } from './support/health-shape';

/** Redis hanging, stopping, and coming back empty or from a snapshot. */
describe('Redis faults', () => {
  let system: FaultSystem;

  beforeAll(async () => {
    system = await FaultSystem.start();
  }, 120_000);

  afterAll(() => system?.stop());

  /** The event's name as the public details on api `apiIndex` show it. */
  const publicName = async (eventId: string, apiIndex: number) =>
    (await request(`${system.apis[apiIndex].url}/api/user/events/${eventId}/`)).body?.name as string;

  /**
   * The event's name once api `apiIndex` answers it from its cache: a change made straight in the database, which
   * bumps no version, is not seen. As fast as it can, until it does.
   */
  const cachedName = (eventId: string, apiIndex: number) =>
    eventually(async () => {
      const cached = await publicName(eventId, apiIndex);
      await system.db.query(`UPDATE events SET name = md5(random()::text) WHERE id = $1`, [eventId]);
      return (await publicName(eventId, apiIndex)) === cached ? cached : undefined;
    });

  /** Health while Redis is down: answered at once, 503, naming Redis as the part that is down. */
  async function expectHealthNamingRedisDown(api: ApiProcess): Promise<void> {
    const health = await timedRequest(`${api.url}/api/health/`);
    expect(health.ms).toBeLessThan(5000);
    expect(health.status).toBe(503);
    expectUnhealthyNaming(health.body, 'redis');
  }

  /** Renames the event through the first api, as staff. */
  async function rename(eventId: string, name: string): Promise<void> {
    const response = await request(`${system.apis[0].url}/api/admin/events/${eventId}/`, {
      method: 'PUT',
      headers: { ...system.staff.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(response.status).toBe(200);
  }

  it('answers within seconds while Redis hangs: login, public reads and bookings do not wait for it', async () => {
    const eventId = await system.createEvent(10);
    const [api] = system.apis;
    system.redis.pause();
    try {
      const login = await timedRequest(`${api.url}/api/user/auth/login/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody-at-all', password: 'a-wrong-password-123' }),
      });
      const details = await timedRequest(`${api.url}/api/user/events/${eventId}/`);
      const buyer = system.buyers[0];
      const booking = await timedRequest(`${api.url}/api/bookings/`, {
        method: 'POST',
        headers: { ...buyer.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: buyer.id, event_id: eventId, number_of_tickets: 1 }),
      });
      expect([login.status, login.ms < 3000]).toEqual([400, true]);
      expect([details.status, details.ms < 3000]).toEqual([200, true]);
      expect([booking.status, booking.ms < 4000]).toEqual([201, true]);
    } finally {
      system.redis.resume();
    }
  });

  it('shows a write on one api at once on the other while Redis hangs, though that api kept the answer in memory', async () => {
    const eventId = await system.createEvent(10);
    await cachedName(eventId, 1);
    system.redis.pause();
    try {
      await rename(eventId, 'renamed while Redis hung'); // its version bump times out; the write stands
      expect(await publicName(eventId, 1)).toBe('renamed while Redis hung');
    } finally {
      system.redis.resume();
    }
  });

  it('keeps accepting (or answers 503 with the error shape) while Redis is down, health "unhealthy" naming it, reads from the database, and settles everything after it restarts empty', async () => {
    const eventId = await system.createEvent(120);
    const before = await system.storm(eventId, 100);
    await system.redis.stop();
    let during: Outcome[];
    try {
      during = await system.storm(eventId, 100);
      const details = await request(`${system.apis[1].url}/api/user/events/${eventId}/`);
      const availability = await request(`${system.apis[0].url}/api/events/${eventId}/availability/`);
      expect(details.status).toBe(200);
      expect(availability.status).toBe(200);
      for (const api of system.apis) await expectHealthNamingRedisDown(api);
    } finally {
      await system.redis.start(); // a failed check must not leave Redis down for the next tests
    }
    for (const outcome of [...before, ...during]) {
      expect([201, 409, 503]).toContain(outcome.status);
      if (outcome.status === 503) expectErrorShape(outcome.body);
    }
    expect(during.filter((outcome) => outcome.status === 201).length).toBeGreaterThan(0);

    const after = await system.storm(eventId, 50);
    await system.assertNothingLostNothingOversold([eventId], [...before, ...during, ...after]);
    const { rows } = await system.db.query(`SELECT booked_tickets FROM events WHERE id = $1`, [eventId]);
    expect(rows[0].booked_tickets).toBe(120);
  });

  it('still sends a confirmation whose mail job was waiting to retry when Redis restarted empty', async () => {
    const buyer = await system.createUser();
    const eventId = await system.createEvent(5);
    await system.smtp.stop();
    let outcome: Outcome;
    try {
      outcome = await system.book(system.apis[0], buyer, eventId, 1);
      expect(outcome.status).toBe(201);
      await system.assertNothingLostNothingOversold([eventId], [outcome]);
      await system.mailJobIn(jobIds.bookingConfirmed(bookingIdOf(outcome)), 'delayed'); // its first attempt failed
      await system.redis.stop();
      await system.redis.start();
    } finally {
      await system.smtp.listen();
    }
    await system.expectConfirmationSentOnce(outcome, buyer);
  });

  it('serves no stale cached read after Redis comes back from a snapshot taken before a write it missed', async () => {
    const eventId = await system.createEvent(50);
    const readName = (apiIndex: number) => publicName(eventId, apiIndex);
    const original = await readName(0);
    expect(await readName(1)).toBe(original);

    await system.redis.stop({ keepData: true });
    await rename(eventId, 'renamed while Redis was down');
    await system.redis.start();

    // Read on both apis for a while, across their reconnection to Redis: never the old name.
    const names = new Set<string>();
    for (const deadline = Date.now() + 6000; Date.now() < deadline;) {
      names.add(await readName(0));
      names.add(await readName(1));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...names]).toEqual(['renamed while Redis was down']);
    // And the cache is in use again, not switched off for good.
    expect(system.redis.keys(`*events:public:${eventId}*`).length).toBeGreaterThan(0);
  });

  it('serves no stale cached read after a write whose cache bump Redis refused while staying connected', async () => {
    const eventId = await system.createEvent(50);
    await cachedName(eventId, 1);
    // In Redis too, so it outlives api 1's memory of it.
    expect(system.redis.keys(`*events:public:${eventId}*`).length).toBeGreaterThan(0);

    system.redis.refuseWrites(true);
    try {
      await rename(eventId, 'renamed while Redis refused writes');
    } finally {
      system.redis.refuseWrites(false);
    }
    // No reconnect happens here: only a retry of the failed bump can tell the other api its entry is stale.
    await eventually(
      async () => ((await publicName(eventId, 1)) === 'renamed while Redis refused writes' ? true : undefined),
      5000,
    );
  });
});
