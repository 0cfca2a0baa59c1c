import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

import { User } from './user.entity';

@Entity({ name: 'events' })
export class Event {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  venue!: string;

  @Column({ type: 'timestamptz' })
  time!: Date;

  @Column({ type: 'int' })
  capacity!: number;

  /** Tickets held by confirmed bookings; the database keeps it within 0..capacity. */
  @Column({ name: 'booked_tickets', type: 'int', default: 0 })
  bookedTickets!: number;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** NUMERIC(10,2), kept as the driver's exact decimal string. */
  @Column({ name: 'price_per_ticket', type: 'numeric', precision: 10, scale: 2 })
  pricePerTicket!: string;

  @Column({ name: 'organizer_id', type: 'int' })
  organizerId!: number;

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organizer_id' })
  organizer?: User;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
