import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { NotFoundError } from '@evently/common';
import { User } from '@evently/database';
import { mailJobs, OutboxRelay } from '@evently/queue';

/** An admin's message to the attendees of an event, sent by the worker as one email per attendee. */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxRelay,
  ) {}

  /**
   * Records the notice and one mail job per distinct user holding a confirmed booking, in one transaction,
   * and returns how many users that is. The share lock on the event row makes the recipient list exact: a
   * booking is confirmed or cancelled only under that row's update lock, and deletion needs it too.
   */
  async notifyAttendees(sender: User, eventId: string, message: string): Promise<number> {
    const { recipients, outboxed } = await this.dataSource.transaction(async (manager) => {
      const [event] = await manager.query(`SELECT id FROM events WHERE id = $1 AND deleted_at IS NULL FOR SHARE`, [
        eventId,
      ]);
      if (!event) throw new NotFoundError('Event not found.');
      const users: { user_id: number }[] = await manager.query(
        `SELECT DISTINCT user_id FROM bookings WHERE event_id = $1 AND status = 'confirmed' ORDER BY user_id`,
        [eventId],
      );
      const [notice] = await manager.query(
        `INSERT INTO event_notices (event_id, message, sent_by, recipient_count) VALUES ($1, $2, $3, $4) RETURNING id`,
        [eventId, message, sender.id, users.length],
      );
      const jobs = users.map(({ user_id: userId }) => mailJobs.eventNotice(notice.id, userId));
      return { recipients: users.length, outboxed: await this.outbox.write(manager, jobs) };
    });
    await this.outbox.publish(outboxed);
    return recipients;
  }
}
