import { createHmac, randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { Batcher } from '@evently/common';
import { AppConfig } from '@evently/config';
import { AuthToken, User } from '@evently/database';

const TOKEN_FORMAT = /^[0-9a-f]{64}$/;
/** Live sessions kept per user: enough for every device, few enough that logging in again and again cannot fill a table. */
export const MAX_TOKENS_PER_USER = 100;

/** Lookups in one statement; requests that arrive while earlier lookups run wait and form the next one. */
const MAX_LOOKUP_BATCH = 250;
const CONCURRENT_LOOKUPS = 4;
/** Beyond this many waiting lookups the database is stalled: refuse (503) rather than queue without bound. */
const MAX_WAITING_LOOKUPS = 2_000;

/** Opaque bearer tokens: 32 random bytes, one per login, stored only as an HMAC-SHA-256 digest. */
@Injectable()
export class TokensService {
  private readonly lookups = new Batcher<string, User | null>((digests) => this.lookUp(digests), {
    maxBatch: MAX_LOOKUP_BATCH,
    concurrency: CONCURRENT_LOOKUPS,
    maxWaiting: MAX_WAITING_LOOKUPS,
  });

  constructor(
    @InjectRepository(AuthToken) private readonly tokens: Repository<AuthToken>,
    private readonly config: AppConfig,
  ) {}

  /**
   * A new token; beyond {@link MAX_TOKENS_PER_USER}, the user's oldest sessions end. Logins at the same moment each
   * see the same older tokens, so they may leave a few more, which the next login trims. Without `lifetimeMinutes`
   * the token lasts until logout; with it (a queue dashboard session), it stops authenticating anywhere once that
   * time has passed on the database's clock.
   */
  async issue(userId: number, lifetimeMinutes?: number): Promise<string> {
    const token = randomBytes(32).toString('hex');
    // The DELETE sees the tokens from before the INSERT, so it keeps the newest MAX - 1 of them beside the new one.
    // make_interval(mins => NULL) is NULL, and so is expires_at: a token without a lifetime.
    await this.tokens.query(
      `WITH issued AS (INSERT INTO auth_tokens (token_hash, user_id, expires_at)
                       VALUES ($1, $2, now() + make_interval(mins => $4::int)))
       DELETE FROM auth_tokens WHERE token_hash IN (
         SELECT token_hash FROM auth_tokens WHERE user_id = $2 ORDER BY created_at DESC, token_hash OFFSET $3)`,
      [this.digest(token), userId, MAX_TOKENS_PER_USER - 1, lifetimeMinutes ?? null],
    );
    return token;
  }

  /**
   * The active user a token belongs to, or null for an unknown, revoked, expired or deactivated one. Runs on every
   * authenticated request, so concurrent requests share one statement (a storm pays PostgreSQL one round trip
   * per batch, not per request); each lookup still starts after its request arrived, so a logout or a
   * deactivation is refused at once on every process. Nothing is cached.
   */
  async authenticate(token: string): Promise<User | null> {
    if (!this.isWellFormed(token)) return null;
    return this.lookups.call(this.digest(token));
  }

  async revoke(token: string): Promise<void> {
    await this.tokens.delete({ tokenHash: this.digest(token) });
  }

  /** What {@link issue} hands out: anything else cannot be a token and needs no lookup. */
  isWellFormed(token: string): boolean {
    return TOKEN_FORMAT.test(token);
  }

  digest(token: string): string {
    return createHmac('sha256', this.config.secretKey).update(token).digest('hex');
  }

  /** One plain statement mapped by hand rather than a query builder: it runs for every authenticated request. */
  private async lookUp(digests: string[]): Promise<(User | null)[]> {
    const rows: (UserRow & { token_hash: string })[] = await this.tokens.query(
      `SELECT t.token_hash, u.id, u.username, u.email, u.first_name, u.last_name, u.phone_number, u.address,
              u.is_staff, u.is_superuser, u.is_active, u.last_login, u.created_at, u.updated_at
         FROM auth_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = ANY($1::text[]) AND u.is_active AND (t.expires_at IS NULL OR t.expires_at > now())`,
      [digests],
    );
    const byDigest = new Map(rows.map((row) => [row.token_hash, row]));
    return digests.map((digest) => {
      const row = byDigest.get(digest);
      return row ? toUser(row) : null;
    });
  }
}

interface UserRow {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  phone_number: string | null;
  address: string | null;
  is_staff: boolean;
  is_superuser: boolean;
  is_active: boolean;
  last_login: Date | null;
  created_at: Date;
  updated_at: Date;
}

function toUser(row: UserRow): User {
  return Object.assign(new User(), {
    id: row.id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    phoneNumber: row.phone_number,
    address: row.address,
    isStaff: row.is_staff,
    isSuperuser: row.is_superuser,
    isActive: row.is_active,
    lastLogin: row.last_login,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}
