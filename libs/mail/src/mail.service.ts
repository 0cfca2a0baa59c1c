import { createHash } from 'node:crypto';

import { MailerService } from '@nestjs-modules/mailer';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { AppConfig } from '@evently/config';

import { Mail, MAIL_SUBJECTS } from './mail-message';

export type DeliveryOutcome = 'sent' | 'already-sent';

/** Renders Evently's emails and hands them to SMTP, at most once per deduplication key. */
@Injectable()
export class MailService {
  constructor(
    private readonly mailer: MailerService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * Claims the mail's key in `mail_deliveries` inside a transaction that commits only after the SMTP server
   * accepted the message. A process that dies before that commit takes its claim with it, so the retried
   * job sends again and nothing is lost; a run after the commit finds the key and sends nothing. A second
   * run while the first is still sending waits on the uncommitted row and then skips. The one window left
   * for a duplicate is a crash between the server's acceptance and our COMMIT, a few milliseconds; the
   * fixed Message-ID lets mail clients fold even that one.
   */
  sendOnce(mail: Mail): Promise<DeliveryOutcome> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL lock_timeout = '30s'`);
      const claimed: unknown[] = await manager.query(
        `INSERT INTO mail_deliveries (dedupe_key, recipient, kind) VALUES ($1, $2, $3)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING 1`,
        [mail.dedupeKey, mail.to, mail.kind],
      );
      if (claimed.length === 0) return 'already-sent';
      await this.send(mail);
      return 'sent';
    });
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
    return `<${digest}@${this.config.mail.from.split('@').pop()}>`;
  }
}
