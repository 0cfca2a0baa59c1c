import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One row per email handed to SMTP, so a job that runs twice sends once. */
@Entity({ name: 'mail_deliveries' })
export class MailDelivery {
  @PrimaryColumn({ name: 'dedupe_key', type: 'varchar', length: 255 })
  dedupeKey!: string;

  @Column({ type: 'varchar', length: 254 })
  recipient!: string;

  @Column({ type: 'varchar', length: 64 })
  kind!: string;

  @CreateDateColumn({ name: 'sent_at', type: 'timestamptz' })
  sentAt!: Date;
}
