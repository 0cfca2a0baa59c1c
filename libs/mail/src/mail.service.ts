import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { MailerService } from '@nestjs-modules/mailer';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

import { AppConfig } from '@evently/config';

import { Mail, MAIL_SUBJECTS } from './mail-message';
import { senderDomain } from './sender-domain';

export type DeliveryOutcome = 'sent' | 'already-sent' | 'no-longer-so';

/** The first key of the two-key advisory locks that order mails of one sequence (the second: the sequence's hash). */
const MAIL_SEQUENCE_LOCK = 0x6d61696c;

/**
 * How long a sent mail's record is retried once its claim's session was lost (a PostgreSQL restart takes seconds),
 * kept short of a stopping worker's grace period: the job completes either way.
 */
const RECORD_BUDGET_MS = 8000;
const RECORD_RETRY_MS = 1000;

const CLAIM = `INSERT INTO mail_deliveries (dedupe_key, recipient, kind) VALUES ($1, $2, $3)
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1`;

/** Renders Evently's emails and hands them to SMTP, at most once per deduplication key. */
@Injectable()
export class MailService {
  private readonly logger = new Logger(MailService.name);

  constructor(
    private readonly mailer: MailerService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * Claims the mail's key in `mail_deliveries` inside a transaction that commits only after the SMTP server
   * accepted the message. A process that dies before that commit takes its claim with it, so the retried
   * job sends again and nothing is lost; a run after the commit finds the key and sends nothing. A second
   * run while the first is still sending waits on the uncommitted row and then skips. Should the commit fail
   * once the server has accepted (PostgreSQL restarted, or the session was cut, during the send), the delivery
   * is recorded afresh, so the job completes instead of sending again. The windows left for a duplicate are the
   * process dying between the server's acceptance and that record, and PostgreSQL staying away past the record's
   * budget while Redis loses the completed job too; the fixed Message-ID lets mail clients fold them. Mails of one
   * sequence wait their turn in the same transaction, so the next goes out only once this one's send has committed.
   */
  async sendOnce(mail: Mail): Promise<DeliveryOutcome> {
    let accepted = false;
    try {
      return await this.dataSource.transaction(async (manager) => {
        // Both: the connection's statement_timeout (15 s) would otherwise end the wait before the lock timeout does.
        await manager.query(`SET LOCAL lock_timeout = '30s'; SET LOCAL statement_timeout = '35s'`);
        if (mail.sequenceKey !== undefined) {
          await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MAIL_SEQUENCE_LOCK, mail.sequenceKey]);
        }
        if (mail.stillSo && !(await mail.stillSo(manager))) return 'no-longer-so';
        if (!(await this.claim(manager, mail))) return 'already-sent';
        await this.send(mail);
        accepted = true;
        return 'sent';
      });
    } catch (error) {
      if (!accepted) throw error;
      await this.recordAccepted(mail, error as Error);
      return 'sent';
    }
  }

  /** Records a delivery the SMTP server accepted after its claim was lost, retrying while PostgreSQL is away. */
  private async recordAccepted(mail: Mail, lostClaim: Error): Promise<void> {
    this.logger.warn({ dedupeKey: mail.dedupeKey, err: lostClaim.message }, 'mail sent, its claim lost: recording it');
    const deadline = performance.now() + RECORD_BUDGET_MS;
    for (;;) {
      try {
        await this.claim(this.dataSource, mail);
        return;
      } catch (error) {
        if (performance.now() + RECORD_RETRY_MS > deadline) {
          this.logger.error({ dedupeKey: mail.dedupeKey, err: (error as Error).message }, 'mail sent, not recorded');
          return;
        }
        await sleep(RECORD_RETRY_MS);
      }
    }
  }

  /** Records the mail's key unless it is recorded already; whether this call recorded it. */
  private async claim(runner: Pick<EntityManager, 'query'>, mail: Mail): Promise<boolean> {
    const claimed: unknown[] = await runner.query(CLAIM, [mail.dedupeKey, mail.to, mail.kind]);
    return claimed.length > 0;
  }

  private async send(mail: Mail): Promise<void> {
    await this.mailer.sendMail({
      from: this.config.mail.from,
      to: mail.to,
      subject: MAIL_SUBJECTS[mail.kind],
      template: `${mail.kind}/html`,
      textTemplate: `${mail.kind}/text.hbs`,
      context: mail.context,
      messageId: this.messageIdFor(mail.dedupeKey),
    });
  }

  private messageIdFor(dedupeKey: string): string {
    const digest = createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32);
    return `<${digest}@${senderDomain(this.config.mail.from)}>`;
  }
}
