import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';

import { Job, Queue } from 'bullmq';
import Redis from 'ioredis';
import { Pool } from 'pg';

import { jobIds, QUEUES } from '@evently/queue';
import { eventually } from '@evently/testing';

import { RunningProcess, startApiProcess, startWorkerProcess } from '../../support/processes';
import { SmtpCapture } from '../../support/smtp-capture';
import { OwnedPostgres, OwnedRedis } from './owned-services';

const SECRET_KEY = 'fault-suite-secret-key';
const DATABASE = 'evently_faults';
const REDIS_PREFIX = 'evently-faults';

export interface Buyer {
  id: number;
  email: string;
  headers: { Authorization: string };
}

export type ApiProcess = RunningProcess & { url: string };

/** What one request of a storm came back with: an HTTP status and body, or the network error's code. */
export interface Outcome {
  status?: number;
  headers?: Headers;
  body?: { id?: string; booking_id?: string; [field: string]: unknown };
  networkError?: string;
}

/**
 * Evently as operators run it, on services this suite owns so it can break them: its own PostgreSQL
 * cluster and redis-server, a loopback SMTP server, two compiled api processes and two workers.
 */
export class FaultSystem {
  apis: ApiProcess[] = [];
  workers: RunningProcess[] = [];
  staff!: Buyer;
  buyers: Buyer[] = [];

  private constructor(
    readonly postgres: OwnedPostgres,
    readonly redis: OwnedRedis,
    readonly smtp: SmtpCapture,
    readonly db: Pool,
  ) {}

  static async start(buyerCount = 40): Promise<FaultSystem> {
    const [postgres, redis, smtp] = await Promise.all([
      OwnedPostgres.create(),
      OwnedRedis.create(),
      SmtpCapture.start(),
    ]);
    const db = new Pool({ connectionString: postgres.url(DATABASE), max: 4 });
    // A stopped database breaks idle pool clients; the pool replaces them, the test need not hear of it.
    db.on('error', () => undefined);
    const system = new FaultSystem(postgres, redis, smtp, db);
    try {
      execFileSync(process.execPath, ['dist/apps/api/apps/api/src/cli/main.js', 'migrate'], {
        env: { ...process.env, ...system.env() },
        stdio: 'pipe',
      });
      system.staff = await system.createUser(true);
      for (let index = 0; index < buyerCount; index++) system.buyers.push(await system.createUser());
      system.apis = await Promise.all([startApiProcess(system.env()), startApiProcess(system.env())]);
      await system.startWorkers();
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** The environment of every process: the suite's own services, nothing from the machine's defaults. */
  env(): Record<string, string> {
    return {
      NODE_ENV: 'test',
      DATABASE_URL: this.postgres.url(DATABASE),
      REDIS_URL: this.redis.url,
      REDIS_PREFIX,
      SECRET_KEY,
      DEBUG: 'true',
      LOG_LEVEL: 'info',
      ALLOWED_HOSTS: 'localhost,127.0.0.1',
      DB_POOL_SIZE: '8',
      EMAIL_HOST: '127.0.0.1',
      EMAIL_PORT: String(this.smtp.port),
    };
  }

  async startWorkers(): Promise<void> {
    this.workers = await Promise.all([startWorkerProcess(this.env()), startWorkerProcess(this.env())]);
  }

  async startApi(): Promise<ApiProcess> {
    return startApiProcess(this.env());
  }

  /** Stops every process and service it started, whatever state the test left them in. */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.apis, ...this.workers].map((proc) => proc.kill9()));
    await this.db.end().catch(() => undefined);
    await Promise.allSettled([this.postgres.destroy(), this.redis.destroy(), this.smtp.stop()]);
  }

  /** A user with a live token, inserted directly: hashing a password per buyer would only burn CPU. */
  async createUser(isStaff = false, prefix = isStaff ? 'staff' : 'buyer'): Promise<Buyer> {
    const username = `${prefix}_${randomBytes(4).toString('hex')}`;
    const email = `${username}@example.com`;
    const token = randomBytes(32).toString('hex');
    const {
      rows: [user],
    } = await this.db.query(
      `INSERT INTO users (username, email, password, is_staff) VALUES ($1, $2, 'unusable', $3) RETURNING id`,
      [username, email, isStaff],
    );
    const digest = createHmac('sha256', SECRET_KEY).update(token).digest('hex');
    await this.db.query(`INSERT INTO auth_tokens (token_hash, user_id) VALUES ($1, $2)`, [digest, user.id]);
    return { id: user.id, email, headers: { Authorization: `Token ${token}` } };
  }

  async createEvent(capacity: number): Promise<string> {
    const {
      rows: [event],
    } = await this.db.query(
      `INSERT INTO events (name, venue, time, capacity, price_per_ticket, organizer_id)
       VALUES ($1, 'Fault Hall', now() + interval '30 days', $2, 10, $3) RETURNING id`,
      [`fault-${randomBytes(3).toString('hex')}`, capacity, this.staff.id],
    );
    return event.id;
  }

  /** One booking request; a refused connection or reset is an outcome too, not an exception. */
  async book(api: ApiProcess, buyer: Buyer, eventId: string, tickets = 1, idempotencyKey?: string): Promise<Outcome> {
    const headers: Record<string, string> = { ...buyer.headers, 'content-type': 'application/json' };
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    return request(`${api.url}/api/bookings/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ user_id: buyer.id, event_id: eventId, number_of_tickets: tickets }),
    });
  }

  /** `count` one-ticket bookings for the event, fired together and spread over the api processes. */
  storm(eventId: string, count: number, apis = this.apis): Promise<Outcome[]> {
    return Promise.all(
      Array.from({ length: count }, (_, index) =>
        this.book(apis[index % apis.length], this.buyers[index % this.buyers.length], eventId),
      ),
    );
  }

  /** The events' bookings not yet decided (pending or processing). */
  async unsettled(eventIds: string[]): Promise<number> {
    const {
      rows: [{ unsettled }],
    } = await this.db.query(
      `SELECT count(*)::int AS unsettled FROM bookings WHERE event_id = ANY($1) AND status IN ('pending', 'processing')`,
      [eventIds],
    );
    return unsettled;
  }

  async waitUntilSettled(eventIds: string[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const unsettled = await this.unsettled(eventIds);
      if (unsettled === 0) return;
      if (Date.now() > deadline) {
        throw new Error(`${unsettled} bookings still unsettled after ${timeoutMs} ms\n${await this.postMortem()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * What a failed wait needs explained: whether each process still runs, the warnings and errors each logged
   * last, and the database sessions that are not idle (a lock holder, a hung statement).
   */
  private async postMortem(): Promise<string> {
    const processes = [
      ...this.apis.map((p) => ['api', p] as const),
      ...this.workers.map((p) => ['worker', p] as const),
    ];
    const logs = processes.map(([kind, proc]) => {
      const { exitCode, signalCode, pid } = proc.child;
      const state = exitCode === null && signalCode === null ? 'running' : `exited (${exitCode ?? signalCode})`;
      const warnings = proc.output().split('\n').flatMap(warningOf);
      // Mail retries flood a database outage's logs; what settles bookings is what explains a wait.
      const mailFailures = warnings.filter((line) => line.includes('"MailProcessor"')).length;
      const others = warnings.filter((line) => !line.includes('"MailProcessor"')).slice(-15);
      const header = `  ${kind} ${pid}: ${state}, ${mailFailures} mail job warnings`;
      return [header, ...others.map((line) => `    ${line}`)].join('\n');
    });
    const { rows: sessions } = await this.db.query(
      `SELECT pid, application_name, state, wait_event_type, wait_event, now() - xact_start AS in_transaction,
              left(query, 200) AS query
         FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()`,
    );
    const busy = sessions.map((row) => `  ${JSON.stringify(row)}`);
    return [
      'processes:',
      ...logs,
      'busy database sessions:',
      ...busy,
      `bookings queue: ${await this.bookingsQueue()}`,
    ].join('\n');
  }

  /** The bookings queue's jobs by state, read straight from Redis (a settle job parked in backoff shows here). */
  private async bookingsQueue(): Promise<string> {
    const client = new Redis(this.redis.url, { maxRetriesPerRequest: 1, connectTimeout: 1000, lazyConnect: true });
    const key = (state: string) => `${REDIS_PREFIX}:bull:bookings:${state}`;
    try {
      await client.connect();
      const [wait, active, delayed, failed] = await Promise.all([
        client.llen(key('wait')),
        client.llen(key('active')),
        client.zcard(key('delayed')),
        client.zcard(key('failed')),
      ]);
      return JSON.stringify({ wait, active, delayed, failed });
    } catch (error) {
      return `unreadable (${(error as Error).message})`;
    } finally {
      client.disconnect();
    }
  }

  /**
   * The mail job once BullMQ has it in `state`. The state first, then the job: a job read before it completed keeps
   * a null returnvalue even once its state is.
   */
  async mailJobIn(jobId: string, state: 'delayed' | 'completed', timeoutMs = 60_000): Promise<Job> {
    const queue = new Queue(QUEUES.mail, { connection: { url: this.redis.url }, prefix: `${REDIS_PREFIX}:bull` });
    try {
      return await eventually(
        async () => ((await queue.getJobState(jobId)) === state ? queue.getJob(jobId) : undefined),
        timeoutMs,
        250,
      );
    } finally {
      await queue.close();
    }
  }

  /**
   * The booking's confirmation went out exactly once. Counted once its mail job has completed, since a job abandoned
   * mid-send is taken over only when its lock expires (about 20 s): the run that completed it is the one that sent,
   * SMTP received one message, and one delivery is recorded.
   */
  async expectConfirmationSentOnce(booking: Outcome, buyer: Buyer): Promise<void> {
    const bookingId = bookingIdOf(booking);
    const job = await this.mailJobIn(jobIds.bookingConfirmed(bookingId), 'completed');
    expect(job.returnvalue).toBe('sent');
    const mails = this.smtp.to(buyer.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toMatch(/confirm/i);
    const {
      rows: [{ deliveries }],
    } = await this.db.query(`SELECT count(*)::int AS deliveries FROM mail_deliveries WHERE dedupe_key = $1`, [
      `booking-confirmed:${bookingId}:${buyer.id}`,
    ]);
    expect(deliveries).toBe(1);
  }

  /**
   * Nothing lost and nothing oversold: every booking answered 201 exists and ended confirmed or failed,
   * its event's counter equals its confirmed tickets and stays within capacity, nothing is left
   * processing, and no booking was confirmed twice (one confirmation mail job each).
   */
  async assertNothingLostNothingOversold(eventIds: string[], outcomes: Outcome[]): Promise<void> {
    await this.waitUntilSettled(eventIds);
    const accepted = outcomes.filter((outcome) => outcome.status === 201).map((outcome) => bookingIdOf(outcome));
    const { rows: settled } = await this.db.query(
      `SELECT status, count(*)::int AS count FROM bookings WHERE id = ANY($1::uuid[]) GROUP BY status`,
      [accepted],
    );
    expect(settled.filter((row) => row.status !== 'confirmed' && row.status !== 'failed')).toEqual([]);
    expect(settled.reduce((sum, row) => sum + row.count, 0)).toBe(accepted.length);
    const { rows: inventories } = await this.db.query(
      `SELECT e.capacity, e.booked_tickets,
              coalesce(sum(b.ticket_count) FILTER (WHERE b.status = 'confirmed'), 0)::int AS confirmed_tickets
         FROM events e LEFT JOIN bookings b ON b.event_id = e.id
        WHERE e.id = ANY($1) GROUP BY e.id`,
      [eventIds],
    );
    for (const inventory of inventories) {
      expect(inventory.booked_tickets).toBe(inventory.confirmed_tickets);
      expect(inventory.confirmed_tickets).toBeLessThanOrEqual(inventory.capacity);
    }
    const {
      rows: [{ duplicates }],
    } = await this.db.query(
      `SELECT (count(*) - count(DISTINCT job_id))::int AS duplicates FROM outbox
        WHERE job_name = 'booking-confirmed'
          AND payload->>'bookingId' IN (SELECT id::text FROM bookings WHERE event_id = ANY($1))`,
      [eventIds],
    );
    expect(duplicates).toBe(0);
  }
}

export function bookingIdOf(outcome: Outcome): string {
  const id = outcome.body?.booking_id ?? outcome.body?.id;
  if (typeof id !== 'string') throw new Error(`no booking id in ${JSON.stringify(outcome.body)}`);
  return id;
}

/** A request given up after `timeoutMs`, with how long it took: faults must be answered fast, not just answered. */
export async function timedRequest(
  url: string,
  init: RequestInit = {},
  timeoutMs = 15_000,
): Promise<Outcome & { ms: number }> {
  const started = Date.now();
  const outcome = await request(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return { ...outcome, ms: Date.now() - started };
}

/**
 * fetch, with network failures turned into outcomes carrying their error code. An answer that is not JSON keeps its
 * status and its text, so a proxy's or a crashing process's 500 is never taken for a network failure.
 */
export async function request(url: string, init: RequestInit = {}): Promise<Outcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, init);
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { networkError: cause?.code ?? cause?.message ?? (error as Error).message };
  }
  return { status: response.status, headers: response.headers, body: text ? parsedOrText(text) : undefined };
}

function parsedOrText(text: string): Outcome['body'] {
  try {
    return JSON.parse(text);
  } catch {
    return { unparsed: text };
  }
}

/** A log line at warn or above, shortened to what explains it; other lines give nothing. */
function warningOf(line: string): string[] {
  if (!line.startsWith('{')) return line.trim() === '' ? [] : [line.slice(0, 300)];
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry.level !== 'number' || entry.level < 40) return [];
    const { time, level, context, job, msg, err } = entry;
    const status = (entry.res as { statusCode?: number } | undefined)?.statusCode;
    const error = typeof err === 'string' ? err : (err as { message?: string } | undefined)?.message;
    return [JSON.stringify({ time, level, context, job, status, msg, err: error?.slice(0, 200) })];
  } catch {
    return [line.slice(0, 300)];
  }
}
