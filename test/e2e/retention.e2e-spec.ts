import { randomBytes, randomUUID } from 'node:crypto';

import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';

import { eventually, loginAs } from '@evently/testing';

import { PRUNE_BATCH, RetentionPruner } from '../../apps/worker/src/retention/retention-pruner.service';
import { createTestApp, startTestWorker } from '../support/test-app';

/** Rows of this spec, each named `<tag>-<age>` so the checks see nothing of the other suites'. */
const tag = `retention-${randomBytes(4).toString('hex')}`;

describe('retention of finished work', () => {
  let app: NestFastifyApplication;
  let worker: INestApplicationContext | undefined;
  let db: DataSource;

  beforeAll(async () => {
    app = await createTestApp();
    db = app.get(DataSource);
  });
  afterAll(async () => {
    await worker?.close();
    await app.close();
  });

  /** The names of this spec's rows still in `table`. */
  async function left(table: 'idempotency_keys' | 'outbox' | 'mail_deliveries'): Promise<string[]> {
    const column = { idempotency_keys: 'key', outbox: 'job_id', mail_deliveries: 'dedupe_key' }[table];
    const rows: { name: string }[] = await db.query(
      `SELECT ${column} AS name FROM ${table} WHERE ${column} LIKE $1 ORDER BY 1`,
      [`${tag}-%`],
    );
    return rows.map((row) => row.name);
  }

  async function addOutboxRow(name: string, createdAgo: string, publishedAgo: string | null): Promise<void> {
    // A settle signal for an event that does not exist, so a relay that publishes the row does no harm.
    await db.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, created_at, published_at)
       VALUES ('bookings', 'settle-event', $1, $2, now() - $3::interval, now() - $4::interval)`,
      [`${tag}-${name}`, JSON.stringify({ eventId: randomUUID() }), createdAgo, publishedAgo],
    );
  }

  it('a worker deletes, from its start, what is past its retention, and keeps the rest', async () => {
    const { user } = await loginAs(app);
    for (const [name, age] of [
      ['25h', '25 hours'],
      ['23h', '23 hours'],
    ]) {
      await db.query(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
         VALUES ($1, $2, repeat('0', 64), 201, 'null', now() - $3::interval)`,
        [user.id, `${tag}-${name}`, age],
      );
    }
    await addOutboxRow('published-8d', '8 days', '8 days');
    await addOutboxRow('created-8d-published-6d', '8 days', '6 days');
    await addOutboxRow('unpublished-8d', '8 days', null);
    for (const [name, age] of [
      ['31d', '31 days'],
      ['29d', '29 days'],
    ]) {
      await db.query(
        `INSERT INTO mail_deliveries (dedupe_key, recipient, kind, sent_at)
         VALUES ($1, 'someone@example.com', 'booking-confirmed', now() - $2::interval)`,
        [`${tag}-${name}`, age],
      );
    }

    worker = await startTestWorker();

    await eventually(async () => ((await left('mail_deliveries')).length === 1 ? true : undefined));
    expect(await left('idempotency_keys')).toEqual([`${tag}-23h`]);
    // Unpublished at the start's prune; the relay may have published it since, which gives it another week.
    expect(await left('outbox')).toEqual([`${tag}-created-8d-published-6d`, `${tag}-unpublished-8d`]);
    expect(await left('mail_deliveries')).toEqual([`${tag}-29d`]);
  });

  it('deletes expired session tokens and keeps live ones and api tokens', async () => {
    const { user } = await loginAs(app);
    const tokens = { expired: `${tag}-expired`, live: `${tag}-live`, api: `${tag}-api` };
    await db.query(
      `INSERT INTO auth_tokens (token_hash, user_id, expires_at)
       VALUES ($2, $1, now() - interval '1 minute'), ($3, $1, now() + interval '1 hour'), ($4, $1, NULL)`,
      [user.id, tokens.expired, tokens.live, tokens.api],
    );
    const deleted = await new RetentionPruner(db).prune();
    expect(deleted.auth_tokens).toBeGreaterThanOrEqual(1);
    const rows: { token_hash: string }[] = await db.query(
      `SELECT rtrim(token_hash) AS token_hash FROM auth_tokens WHERE token_hash LIKE $1 ORDER BY 1`,
      [`${tag}-%`],
    );
    expect(rows.map((row) => row.token_hash)).toEqual([tokens.api, tokens.live]);
  });

  async function addOldMailDeliveries(count: number, name: string): Promise<void> {
    await db.query(
      `INSERT INTO mail_deliveries (dedupe_key, recipient, kind, sent_at)
       SELECT $1 || g, 'someone@example.com', 'booking-confirmed', now() - interval '40 days'
         FROM generate_series(1, $2::int) AS g`,
      [`${tag}-${name}-`, count],
    );
  }

  it('goes on batch after batch until nothing past its retention is left', async () => {
    await addOldMailDeliveries(2 * PRUNE_BATCH + 1, 'backlog');
    const deleted = await new RetentionPruner(db).prune();
    expect(deleted.mail_deliveries).toBe(2 * PRUNE_BATCH + 1);
    expect(await left('mail_deliveries')).toEqual([`${tag}-29d`]);
  });

  it('on shutdown finishes the statement in flight, then stops', async () => {
    await addOldMailDeliveries(2 * PRUNE_BATCH + 1, 'cut-short');
    const pruner = new RetentionPruner(db);
    let mailBatchSent!: () => void;
    const mailBatch = new Promise<void>((resolve) => (mailBatchSent = resolve));
    let statementsInFlight = 0;
    const query = db.query.bind(db);
    // Passes every statement to PostgreSQL; notes when the first mail batch leaves and what is still running.
    const watch = jest
      .spyOn(db, 'query')
      .mockImplementation(async (sql: string, parameters?: Parameters<DataSource['query']>[1]) => {
        if (sql.startsWith('DELETE FROM mail_deliveries')) mailBatchSent();
        statementsInFlight++;
        try {
          return await query(sql, parameters);
        } finally {
          statementsInFlight--;
        }
      });
    try {
      pruner.onApplicationBootstrap();
      await mailBatch;
      await pruner.onModuleDestroy();
      expect(statementsInFlight).toBe(0);
      expect(await left('mail_deliveries')).toHaveLength(PRUNE_BATCH + 2);
    } finally {
      watch.mockRestore();
    }
  });
});
