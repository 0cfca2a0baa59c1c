import { randomUUID } from 'node:crypto';
import { Agent, get } from 'node:http';

import { jobIds } from '@evently/queue';
import { eventually } from '@evently/testing';

import { expectErrorShape } from '../support/error-shape';
import { holding, waitForBlocked } from '../support/lock-waits';
import { RunningProcess } from '../support/processes';
import { CapturedMail } from '../support/smtp-capture';
import { bookingIdOf, FaultSystem, request } from './support/fault-system';

/** Api and worker processes that crash or are asked to stop, and an SMTP server that goes away. */
describe('processes dying and stopping', () => {
  let system: FaultSystem;

  beforeAll(async () => {
    system = await FaultSystem.start();
  }, 120_000);

  afterAll(() => system?.stop());
  // A check that fails while SMTP holds mail must not leave it holding for the next one.
  afterEach(() => {
    system.smtp.holding = false;
    system.smtp.release(true);
  });

  async function bookedTickets(eventId: string): Promise<number> {
    const { rows } = await system.db.query(`SELECT booked_tickets FROM events WHERE id = $1`, [eventId]);
    return rows[0].booked_tickets;
  }

  /**
   * Fires `requests` bookings at the event while the test holds its row, so a worker settling them waits inside its
   * transaction, and kills that worker (kill -9) there, found by the pid its connection names: however fast the
   * machine, the kill lands in the middle of a settle job, with bookings unsettled.
   */
  async function killMidSettle(eventId: string, requests: number) {
    return holding(system.db, 'SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE', [eventId], async () => {
      const stormDone = system.storm(eventId, requests);
      await waitForBlocked(system.db, 'ORDER BY id FOR NO KEY UPDATE');
      const settler = await settlingWorker();
      await settler.kill9();
      return { stormDone, killed: settler, unsettledAtKill: await system.unsettled([eventId]) };
    });
  }

  /** A worker process whose connection waits for the event's lock inside its settle transaction (both may). */
  async function settlingWorker(): Promise<RunningProcess> {
    const { rows } = await system.db.query(
      `SELECT application_name FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ORDER BY id FOR NO KEY UPDATE%'`,
    );
    const pids = new Set(
      rows.map((row: { application_name: string }) => Number(row.application_name.split(':').pop())),
    );
    const settlers = system.workers.filter((worker) => pids.has(worker.child.pid!));
    expect(settlers.length).toBeGreaterThan(0);
    return settlers[0];
  }

  it('settles every booking once when one worker, then both, are killed (kill -9) mid-storm', async () => {
    const eventId = await system.createEvent(150);
    const firstKill = await killMidSettle(eventId, 100);
    // The survivor takes the killed worker's job over and settles what it can, then dies in its turn: the first wave
    // asked for 100 seats of 150, so the second still has bookings to settle.
    await eventually(async () => ((await bookedTickets(eventId)) > 0 ? true : undefined), 30_000);
    const secondKill = await killMidSettle(eventId, 200);
    expect(secondKill.killed).not.toBe(firstKill.killed);
    const outcomes = [...(await firstKill.stormDone), ...(await secondKill.stormDone)];
    await system.startWorkers();

    expect(firstKill.unsettledAtKill).toBeGreaterThan(0);
    expect(secondKill.unsettledAtKill).toBeGreaterThan(0);
    expect(outcomes.filter((outcome) => outcome.status !== 201 && outcome.status !== 409)).toEqual([]);
    await system.assertNothingLostNothingOversold([eventId], outcomes);
    expect(await bookedTickets(eventId)).toBe(150);
  });

  it.each([
    ['SIGTERM', (api: RunningProcess) => api.stop()],
    ['Ctrl-C under npm (SIGINT, forwarded again)', (api: RunningProcess) => api.interrupt()],
  ])(
    'on %s an api finishes the requests it received and exits promptly, despite idle keep-alive clients',
    async (_, stop) => {
      const eventId = await system.createEvent(1000);
      const [api] = system.apis;
      const idleClient = new Agent({ keepAlive: true });
      await new Promise<void>((resolve, reject) =>
        get(`${api.url}/api/user/events/`, { agent: idleClient }, (response) =>
          response.resume().on('end', resolve),
        ).on('error', reject),
      );

      // Cancellations bump cache versions in Redis, which must still be open while they finish.
      const toCancel = await system.storm(eventId, 30, [system.apis[1]]);
      await system.waitUntilSettled([eventId]);

      const keys = Array.from({ length: 200 }, () => randomUUID());
      let answered = 0;
      let signalAt = Infinity;
      let answeredAfterSignal = 0;
      const stormDone = Promise.all(
        keys.map(async (key, index) => {
          const outcome = await system.book(api, system.buyers[index % system.buyers.length], eventId, 1, key);
          answered++;
          if (outcome.status !== undefined && Date.now() > signalAt) answeredAfterSignal++;
          return outcome;
        }),
      );
      const cancels = Promise.all(
        toCancel.map((booked, index) =>
          request(`${api.url}/api/bookings/${bookingIdOf(booked)}/`, {
            method: 'DELETE',
            headers: system.buyers[index % system.buyers.length].headers,
          }),
        ),
      );
      await eventually(async () => (answered >= 20 ? true : undefined), 30_000, 5);
      signalAt = Date.now();
      const exit = await stop(api);
      const shutdownMs = Date.now() - signalAt;
      const outcomes = await stormDone;
      const cancelOutcomes = await cancels;
      idleClient.destroy();
      system.apis[0] = await system.startApi();

      expect([0, 'SIGTERM']).toContain(exit);
      expect(shutdownMs).toBeLessThan(5000);
      expect(answeredAfterSignal).toBeGreaterThan(0);
      expect(cancelOutcomes.filter((outcome) => outcome.status === 500)).toEqual([]);
      const lostRedisWork = api
        .output()
        .split('\n')
        .filter((line) => /cache unavailable|enqueue deferred|signal deferred/.test(line));
      expect(lostRedisWork).toEqual([]);
      // A request the api received left an idempotency key; every such request must have had its answer.
      const { rows } = await system.db.query(`SELECT key FROM idempotency_keys WHERE key = ANY($1)`, [keys]);
      const received = new Set(rows.map((row) => row.key));
      const cutOff = keys.filter((key, index) => received.has(key) && outcomes[index].status === undefined);
      expect(cutOff).toEqual([]);
      expect(outcomes.filter((outcome) => (outcome.status ?? 0) >= 500 && outcome.status !== 503)).toEqual([]);
      for (const outcome of [...outcomes, ...cancelOutcomes]) {
        if ((outcome.status ?? 0) >= 400) expectErrorShape(outcome.body);
      }
      await system.assertNothingLostNothingOversold([eventId], outcomes);
    },
  );

  it('on SIGTERM a worker finishes its active job (a mail in the middle of its SMTP send), then exits', async () => {
    const buyer = await system.createUser();
    const eventId = await system.createEvent(5);
    system.smtp.holding = true;
    const outcome = await system.book(system.apis[0], buyer, eventId);
    expect(outcome.status).toBe(201);
    // Earlier checks' mail may still be going out and would fill the worker's slots: let it through until it is
    // this buyer's message that is held.
    const forBuyer = (mail: CapturedMail) => mail.envelopeTo.includes(buyer.email.toLowerCase());
    await eventually(async () => {
      system.smtp.release(true, (mail) => !forBuyer(mail));
      return system.smtp.held.some(({ mail }) => forBuyer(mail)) ? true : undefined;
    }, 30_000);

    const stopping = system.workers.map((worker) => worker.stop());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stillRunning = system.workers.filter((worker) => worker.child.exitCode === null && !worker.child.signalCode);
    expect(stillRunning.length).toBeGreaterThan(0);
    const releasedAt = Date.now();
    system.smtp.holding = false;
    system.smtp.release(true);
    const exits = await Promise.all(stopping);
    expect(Date.now() - releasedAt).toBeLessThan(5000);
    for (const exit of exits) expect([0, 'SIGTERM']).toContain(exit);

    await system.startWorkers();
    await system.expectConfirmationSentOnce(outcome, buyer);
    await system.assertNothingLostNothingOversold([eventId], [outcome]);
  });

  it('retries mail while SMTP is down and delivers it exactly once when SMTP is back', async () => {
    const buyer = await system.createUser();
    const eventId = await system.createEvent(5);
    await system.smtp.stop();
    const outcome = await system.book(system.apis[1], buyer, eventId, 2);
    expect(outcome.status).toBe(201);
    await system.assertNothingLostNothingOversold([eventId], [outcome]);
    await system.mailJobIn(jobIds.bookingConfirmed(bookingIdOf(outcome)), 'delayed'); // its first attempt failed

    await system.smtp.listen();
    await system.expectConfirmationSentOnce(outcome, buyer);
  });
});
