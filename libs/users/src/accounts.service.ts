import { Injectable } from '@nestjs/common';

import { BadRequestError } from '@evently/common';
import { PG_FOREIGN_KEY_VIOLATION, postgresErrorCode, User } from '@evently/database';

import { LoginThrottle } from './login-throttle.service';
import { passwordHasher } from './password-hasher';
import { TokensService } from './tokens.service';
import { normalizeUsername } from './username';
import { NewUser, UsersService } from './users.service';

export const INVALID_CREDENTIALS = 'Unable to log in with provided credentials.';

/** Registration, login and logout: the flows that hand out and take back tokens. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly throttle: LoginThrottle,
  ) {}

  async register(input: NewUser): Promise<{ user: User; token: string }> {
    const user = await this.users.create(input);
    return { user, token: await this.tokens.issue(user.id) };
  }

  /** A token that lasts until logout, or `lifetimeMinutes` at most (see {@link TokensService.issue}). */
  async login(rawUsername: string, password: string, clientIp: string, lifetimeMinutes?: number): Promise<string> {
    const username = normalizeUsername(rawUsername);
    const attempt = await this.throttle.reserveAttempt(username, clientIp);
    const user = await this.authenticate(username, password).catch(async (error: unknown) => {
      await this.throttle.release(attempt);
      throw error;
    });
    if (!user) {
      await this.throttle.recordFailure(attempt);
      throw new BadRequestError(INVALID_CREDENTIALS);
    }
    await this.throttle.recordSuccess(attempt);
    await this.users.recordLogin(user.id);
    return this.tokens.issue(user.id, lifetimeMinutes).catch((error: unknown) => {
      // Deleted (a bulk delete committing) after its password was checked: as unknown as it now is.
      if (postgresErrorCode(error) === PG_FOREIGN_KEY_VIOLATION) throw new BadRequestError(INVALID_CREDENTIALS);
      throw error;
    });
  }

  logout(token: string): Promise<void> {
    return this.tokens.revoke(token);
  }

  private async authenticate(username: string, password: string): Promise<User | undefined> {
    const user = await this.users.findWithPassword(username);
    const valid = await passwordHasher.verify(user?.password, password);
    return user && valid && user.isActive ? user : undefined;
  }
}
