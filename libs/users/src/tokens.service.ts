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

  /** The active user a token belongs to, or null for an unknown, revoked or deactivated one. */
  async authenticate(token: string): Promise<User | null> {
    if (!/^[0-9a-f]{64}$/.test(token)) return null;
    const row = await this.tokens
      .createQueryBuilder('token')
      .innerJoinAndSelect('token.user', 'user')
      .where('token.tokenHash = :hash', { hash: this.digest(token) })
      .andWhere('user.isActive')
      .getOne();
    return row?.user ?? null;
  }

  async revoke(token: string): Promise<void> {
    await this.tokens.delete({ tokenHash: this.digest(token) });
  }

  digest(token: string): string {
    return createHmac('sha256', this.config.secretKey).update(token).digest('hex');
  }
}
