import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';

import { JobProducer, MAIL_JOBS, OutboxRelay, PUBLISH_AT_ONCE, QUEUES } from '@evently/queue';
import { eventually, uniqueName } from '@evently/testing';

import { createTestApp } from '../support/test-app';
import { withEnv } from '../support/with-env';

/** One more than a follow-up batch. */
const LOST = 1_001;

describe('the outbox follow-up after Redis restarted empty', () => {
  let app: NestFastifyApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    // Queues of its own: the jobs published again here must not reach the mail workers of other files.
    app = await withEnv({ REDIS_PREFIX: `${process.env.REDIS_PREFIX}:follow-up` }, createTestApp);
    dataSource = app.get(DataSource);
    // The follow-up skips a run while the queues' connection is not up, as it is not yet right after the start.
    await eventually(async () => ((await app.get(JobProducer).connected()) ? true : undefined));
  });
  afterAll(() => app.close());

  /** Cancellation mails `<marker>-1` … `<marker>-<count>`, in one transaction, as a big event's deletion writes them. */
  const writeCancellations = (marker: string, count: number) =>
    dataSource.transaction((manager) =>
      app.get(OutboxRelay).write(
        manager,
        Array.from({ length: count }, (_, n) => ({
          name: MAIL_JOBS.bookingCancelled,
          jobId: `${marker}-${n + 1}`,
          payload: { bookingId: `${marker}-${n + 1}` },
        })),
      ),
    );

  it('publishes again, in one run, a backlog of lost jobs larger than one batch', async () => {
    const marker = uniqueName('lost');
    // Published a minute ago and never finished, yet absent from Redis: what an empty restart leaves.
    await dataSource.query(
      `INSERT INTO outbox (queue, job_name, job_id, payload, published_at)
       SELECT $1, $2, $3 || '-' || n, jsonb_build_object('bookingId', gen_random_uuid()), now() - interval '1 minute'
         FROM generate_series(1, $4) AS n`,
      [QUEUES.mail, MAIL_JOBS.bookingCancelled, marker, LOST],
    );
    try {
      // Other files' unfinished rows share the table and look lost to these queues too: count this test's own.
      expect(await app.get(OutboxRelay).followUpPublished()).toBeGreaterThanOrEqual(LOST);
      const queue = app.get(JobProducer).queue(QUEUES.mail);
      const jobs = await Promise.all(Array.from({ length: LOST }, (_, n) => queue.getJob(`${marker}-${n + 1}`)));
      expect(jobs.filter((job) => !job)).toHaveLength(0);
    } finally {
      await dataSource.query(`DELETE FROM outbox WHERE job_id LIKE $1 || '-%'`, [marker]);
    }
  });

  it('hands Redis at most a thousand jobs right after a commit, whoever wrote them; the relay publishes the rest', async () => {
    const marker = uniqueName('deleted-event');
    const outbox = app.get(OutboxRelay);
    // A big event's deletion: one cancellation per holder, written with the deletion.
    const entries = await writeCancellations(marker, 1_500);
    const published = async () => {
      const [{ count }] = await dataSource.query(
        `SELECT count(*)::int AS count FROM outbox WHERE job_id LIKE $1 || '-%' AND published_at IS NOT NULL`,
        [marker],
      );
      return count;
    };
    try {
      await outbox.publish(entries);
      expect(await published()).toBe(PUBLISH_AT_ONCE);
      await outbox.publishPending();
      expect(await published()).toBe(1_500);
    } finally {
      await dataSource.query(`DELETE FROM outbox WHERE job_id LIKE $1 || '-%'`, [marker]);
    }
  });

  it('relays, in one run, a backlog left unpublished larger than one batch, as writers cut off from Redis leave it', async () => {
    const marker = uniqueName('unpublished');
    const outbox = app.get(OutboxRelay);
    // Never handed on: the writers' Redis was away, or they were killed right after their commits.
    await writeCancellations(marker, 1_200);
    try {
      // Other files' unpublished rows share the table: count this test's own.
      expect(await outbox.publishPending()).toBeGreaterThanOrEqual(1_200);
      const [{ unpublished }] = await dataSource.query(
        `SELECT count(*)::int AS unpublished FROM outbox WHERE job_id LIKE $1 || '-%' AND published_at IS NULL`,
        [marker],
      );
      expect(unpublished).toBe(0);
    } finally {
      await dataSource.query(`DELETE FROM outbox WHERE job_id LIKE $1 || '-%'`, [marker]);
    }
  });
});
