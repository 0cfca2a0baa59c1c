import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A message an admin sent to an event's attendees. */
@Entity({ name: 'event_notices' })
export class EventNotice {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text' })
  message!: string;

  @Column({ name: 'sent_by', type: 'int', nullable: true })
  sentBy!: number | null;

  @Column({ name: 'recipient_count', type: 'int' })
  recipientCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
