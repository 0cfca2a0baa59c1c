import { createHmac, randomBytes } from 'node:crypto';

import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import { AppConfig } from '@evently/config';
import { AuthToken, User } from '@evently/database';

/** Opaque bearer tokens: 32 random bytes, one per login, stored only as an HMAC-SHA-256 digest. */
@Injectable()
export class TokensService {
  constructor(
    @InjectRepository(AuthToken) private readonly tokens: Repository<AuthToken>,
    private readonly config: AppConfig,
  ) {}

  async issue(userId: number): Promise<string> {
    const token = randomBytes(32).toString('hex');
    await this.tokens.insert({ tokenHash: this.digest(token), userId });
    return token;
  }

  /**
   * The active user a token belongs to, or null for an unknown, revoked or deactivated one. Runs on every
   * authenticated request, so it is one plain SQL statement mapped by hand rather than a query builder.
   */
  async authenticate(token: string): Promise<User | null> {
    if (!/^[0-9a-f]{64}$/.test(token)) return null;
    const [row] = await this.tokens.query(
      `SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.phone_number, u.address, u.is_staff,
              u.is_superuser, u.is_active, u.last_login, u.created_at, u.updated_at
         FROM auth_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND u.is_active`,
      [this.digest(token)],
    );
    return row ? toUser(row) : null;
  }

  async revoke(token: string): Promise<void> {
    await this.tokens.delete({ tokenHash: this.digest(token) });
  }

  digest(token: string): string {
    return createHmac('sha256', this.config.secretKey).update(token).digest('hex');
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
