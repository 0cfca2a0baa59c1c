import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BackoffOptions, Job, MinimalJob, UnrecoverableError } from 'bullmq';
import { PinoLogger } from 'nestjs-pino';

import { jobLogBindings } from '@evently/common';
import { DeliveryOutcome, isPermanentRejection, Mail, MAIL_CONCURRENCY, MailService } from '@evently/mail';
import {
  JobPayloads,
  logQueueErrors,
  MAIL_BACKOFF,
  MAIL_JOBS,
  mailRetryDelay,
  OutboxRelay,
  QUEUES,
  WORKER_NAME,
} from '@evently/queue';

import { ProcessorsClosing } from '../processors/processors-closing';
import { MailComposer } from './mail-composer.service';

type MailJobName = (typeof MAIL_JOBS)[keyof typeof MAIL_JOBS];
type MailHandlers = { [N in MailJobName]: (payload: JobPayloads[N]) => Promise<Mail | null> };
export type MailJobResult = DeliveryOutcome | 'nothing-to-send';

/** BullMQ asks the worker for the delays of backoff types it does not know itself: the mail queue's is one. */
export function mailBackoff(attemptsMade: number, type?: string, _error?: Error, job?: MinimalJob): number {
  const delay = (job?.opts.backoff as BackoffOptions | undefined)?.delay;
  if (type !== MAIL_BACKOFF || delay === undefined) throw new Error(`unknown backoff ${type}`);
  return mailRetryDelay(attemptsMade, delay);
}

/**
 * Sends Evently's emails, the only place that does. The number of retries comes from the queue's default job
 * options, their backoff from {@link mailBackoff}; a short lock lets a restarted worker take over the jobs of a
 * killed one within about 20 seconds. Rejections that no retry can fix fail the job at once, and the failed job
 * keeps its reason. Nothing here ever writes a booking.
 */
@Processor(QUEUES.mail, {
  name: WORKER_NAME,
  concurrency: MAIL_CONCURRENCY,
  lockDuration: 15_000,
  stalledInterval: 5_000,
  maxStalledCount: 3,
  settings: { backoffStrategy: mailBackoff },
})
export class MailProcessor extends WorkerHost implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MailProcessor.name);

  /** One handler per mail job name; the mapped type makes a missing one a compile error. */
  readonly handlers: MailHandlers = {
    [MAIL_JOBS.bookingConfirmed]: ({ bookingId }) => this.composer.bookingConfirmed(bookingId),
    [MAIL_JOBS.bookingCancelled]: ({ bookingId }) => this.composer.bookingCancelled(bookingId),
    [MAIL_JOBS.eventNotice]: ({ noticeId, userId }) => this.composer.eventNotice(noticeId, userId),
    [MAIL_JOBS.eventCancelled]: ({ eventId, userId }) => this.composer.eventCancelled(eventId, userId),
  };

  constructor(
    private readonly composer: MailComposer,
    private readonly mail: MailService,
    private readonly outbox: OutboxRelay,
    private readonly pino: PinoLogger,
    private readonly closing: ProcessorsClosing,
  ) {
    super();
  }

  onModuleInit(): void {
    this.closing.register(this.worker);
    logQueueErrors(this.worker, this.logger, 'mail worker');
  }

  /** Takes no new jobs, with every other processor, and finishes the active sends while the database and Redis are open. */
  onModuleDestroy(): Promise<void> {
    return this.closing.closeAll();
  }

  /** Every log line of the job carries its jobId and the ids in its payload. */
  process(job: Job): Promise<MailJobResult> {
    return this.pino.runInContext(() => this.send(job), { bindings: jobLogBindings(job) });
  }

  private async send(job: Job): Promise<MailJobResult> {
    const mail = await this.handlerFor(job.name)(job.data);
    if (!mail) return 'nothing-to-send';
    if (!mail.to) throw new UnrecoverableError(`the recipient has no email address (${mail.dedupeKey})`);
    try {
      return await this.mail.sendOnce(mail);
    } catch (error) {
      if (isPermanentRejection(error)) throw new UnrecoverableError(`rejected: ${(error as Error).message}`);
      throw error;
    }
  }

  @OnWorkerEvent('completed')
  onCompleted(job: Job): Promise<void> {
    return this.markFinished(job);
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined, error: Error): Promise<void> {
    const final = !job || error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    this.logger.warn(
      { ...(job && jobLogBindings(job)), attempts: job?.attemptsMade, final, err: error.message },
      'mail job failed',
    );
    if (job && final) await this.markFinished(job);
  }

  /** Should this fail, the outbox follow-up marks the job once it finds it finished, or runs it again for nothing. */
  private async markFinished(job: Job): Promise<void> {
    if (!job.id) return;
    await this.outbox.markFinished(job.id).catch((error: Error) => {
      this.logger.warn({ ...jobLogBindings(job), err: error.message }, 'could not mark the mail job finished');
    });
  }

  /** A name this worker does not know may be a newer version's mail: retried, so a newer worker sends it. */
  private handlerFor(name: string): (payload: unknown) => Promise<Mail | null> {
    if (!Object.hasOwn(this.handlers, name)) throw new Error(`no handler for job ${name}`);
    return this.handlers[name as MailJobName] as (payload: unknown) => Promise<Mail | null>;
  }
}
