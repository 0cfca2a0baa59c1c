import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await queryRunner.query(`
      CREATE TABLE users (
        id serial PRIMARY KEY,
        username varchar(150) NOT NULL UNIQUE,
        email varchar(254) NOT NULL DEFAULT '',
        password varchar(255) NOT NULL,
        first_name varchar(150) NOT NULL DEFAULT '',
        last_name varchar(150) NOT NULL DEFAULT '',
        phone_number varchar(15),
        address text,
        is_staff boolean NOT NULL DEFAULT false,
        is_superuser boolean NOT NULL DEFAULT false,
        is_active boolean NOT NULL DEFAULT true,
        last_login timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX users_username_prefix_idx ON users (username text_pattern_ops)`);

    await queryRunner.query(`
      CREATE TABLE auth_tokens (
        token_hash char(64) PRIMARY KEY,
        user_id int NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX auth_tokens_user_id_idx ON auth_tokens (user_id)`);

    await queryRunner.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(255) NOT NULL,
        venue varchar(255) NOT NULL,
        time timestamptz NOT NULL,
        capacity int NOT NULL CHECK (capacity BETWEEN 1 AND 1000000),
        booked_tickets int NOT NULL DEFAULT 0,
        description text,
        price_per_ticket numeric(10, 2) NOT NULL CHECK (price_per_ticket >= 0),
        organizer_id int NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
        is_active boolean NOT NULL DEFAULT true,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_booked_within_capacity CHECK (booked_tickets BETWEEN 0 AND capacity)
      )`);
    const live = `WHERE deleted_at IS NULL`;
    await queryRunner.query(`CREATE INDEX events_time_idx ON events (time, id) ${live}`);
    await queryRunner.query(`CREATE INDEX events_created_at_idx ON events (created_at, id) ${live}`);
    await queryRunner.query(`CREATE INDEX events_price_idx ON events (price_per_ticket, id) ${live}`);
    await queryRunner.query(`CREATE INDEX events_capacity_idx ON events (capacity, id) ${live}`);
    await queryRunner.query(`CREATE INDEX events_venue_lower_idx ON events (lower(venue)) ${live}`);
    await queryRunner.query(`CREATE INDEX events_organizer_idx ON events (organizer_id)`);
    await queryRunner.query(
      `CREATE INDEX events_search_trgm_idx ON events
         USING gin ((lower(name || ' ' || venue || ' ' || coalesce(description, ''))) gin_trgm_ops) ${live}`,
    );

    await queryRunner.query(`
      CREATE TABLE bookings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        user_id int NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        ticket_count int NOT NULL CHECK (ticket_count BETWEEN 1 AND 10),
        total_amount numeric(12, 2) NOT NULL CHECK (total_amount >= 0),
        status varchar(20) NOT NULL
          CHECK (status IN ('pending', 'processing', 'confirmed', 'failed', 'cancelled')),
        failure_reason text,
        task_id varchar(255),
        booking_date timestamptz NOT NULL DEFAULT clock_timestamp(),
        confirmed_at timestamptz,
        cancelled_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX bookings_unsettled_idx ON bookings (event_id, booking_date, id)
         WHERE status IN ('pending', 'processing')`,
    );
    await queryRunner.query(
      `CREATE INDEX bookings_unsettled_age_idx ON bookings (booking_date) WHERE status IN ('pending', 'processing')`,
    );
    await queryRunner.query(`CREATE INDEX bookings_user_date_idx ON bookings (user_id, booking_date DESC, id)`);
    await queryRunner.query(`CREATE INDEX bookings_event_status_idx ON bookings (event_id, status)`);

    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        user_id int NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        response_status int NOT NULL,
        response_body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);
    await queryRunner.query(`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`);

    await queryRunner.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        queue varchar(64) NOT NULL,
        job_name varchar(64) NOT NULL,
        job_id varchar(255) NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL`);

    await queryRunner.query(`
      CREATE TABLE event_notices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        message text NOT NULL,
        sent_by int REFERENCES users (id) ON DELETE SET NULL,
        recipient_count int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE mail_deliveries (
        dedupe_key varchar(255) PRIMARY KEY,
        recipient varchar(254) NOT NULL,
        kind varchar(64) NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'mail_deliveries',
      'event_notices',
      'outbox',
      'idempotency_keys',
      'bookings',
      'events',
      'auth_tokens',
      'users',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
