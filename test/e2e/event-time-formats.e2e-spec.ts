import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';

import { createEvent, loginAs, TestSession } from '@evently/testing';

import { createTestApp, dataSourceOf } from '../support/test-app';

/**
 * An event `time` is read as the original's DRF DateTimeField read it (Django's parse_datetime), less a time without
 * zone, and the instant it names is the one stored: what the api answers is what the database holds.
 */
describe('event time: the forms Django parse_datetime reads', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let dataSource: DataSource;
  let organizer: TestSession;

  beforeAll(async () => {
    app = await createTestApp();
    http = request(app.getHttpServer());
    dataSource = dataSourceOf(app);
    organizer = await loginAs(app, 'staff');
  });
  afterAll(() => app.close());

  const storedTime = async (eventId: string): Promise<string> => {
    const [row] = await dataSource.query(`SELECT time FROM events WHERE id = $1`, [eventId]);
    return (row.time as Date).toISOString();
  };

  it.each([
    ['2030-06-15T09:00:00.123456789Z', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.123Z'],
    ['2030-06-15T09:00:00.1234567Z', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.123Z'],
    ['2030-06-15 09:00:00+00:00', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.000Z'],
    ['2030-06-15T09:00:00+05', '2030-06-15T04:00:00Z', '2030-06-15T04:00:00.000Z'],
    ['2030-06-15T09:00:00,5Z', '2030-06-15T09:00:00Z', '2030-06-15T09:00:00.500Z'],
  ])('creates an event at %s, answering %s', async (time, answered, stored) => {
    const response = await http
      .post('/api/admin/events/')
      .set(organizer.headers)
      .send({ name: 'Time formats', venue: 'Hall', time, capacity: 5, price_per_ticket: 1 })
      .expect(201);
    expect(response.body.time).toBe(answered);
    expect(await storedTime(response.body.event_id)).toBe(stored);
  });

  it('moves an event to a time with an offset of whole hours', async () => {
    const eventId = await createEvent(dataSource, { organizerId: organizer.user.id });
    const response = await http
      .put(`/api/admin/events/${eventId}/`)
      .set(organizer.headers)
      .send({ time: '2031-01-02 03:04:05,678-01' })
      .expect(200);
    expect(response.body.time).toBe('2031-01-02T04:04:05Z');
    expect(await storedTime(eventId)).toBe('2031-01-02T04:04:05.678Z');
  });

  it.each(['2030-06-15T09:00:00', '2030-06-15 09:00:00', '2030-02-30T09:00:00Z'])(
    'refuses %s with 400 on time',
    async (time) => {
      const response = await http
        .post('/api/admin/events/')
        .set(organizer.headers)
        .send({ name: 'Time formats', venue: 'Hall', time, capacity: 5, price_per_ticket: 1 })
        .expect(400);
      expect(Object.keys(response.body.details)).toEqual(['time']);
    },
  );
});
