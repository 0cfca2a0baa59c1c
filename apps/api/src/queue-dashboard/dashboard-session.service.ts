import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

import { ForbiddenError } from '@evently/common';
import { AppConfig } from '@evently/config';
import { AccountsService, TokensService } from '@evently/users';

export const SESSION_COOKIE = 'evently_dashboard';
export const DASHBOARD_PATH = '/api/admin/queues';

export type SessionCheck = 'superuser' | 'staff' | 'not-staff' | 'none';

/**
 * Sessions of the queue dashboard. Browsers cannot send a Token header to a dashboard, so a staff login yields
 * a token carried in an HttpOnly, SameSite=Strict cookie scoped to the dashboard; every dashboard request checks
 * it against the token table with the guard's rules (active user, staff), and refuses tokens older than the
 * session lifetime. The token is issued with that lifetime, so whoever copies the cookie cannot use it on the
 * api beyond it either, even if it is never presented to the dashboard again.
 */
@Injectable()
export class DashboardSessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accounts: AccountsService,
    private readonly tokens: TokensService,
    private readonly config: AppConfig,
  ) {}

  /** Logs a staff member in (same throttling as the api's login); returns the Set-Cookie value. */
  async signIn(username: string, password: string, clientIp: string): Promise<string> {
    const token = await this.accounts.login(username, password, clientIp, this.config.dashboardSessionMinutes);
    if (!isStaffSession(await this.check(token))) {
      await this.tokens.revoke(token);
      throw new ForbiddenError('The queue dashboard is for staff only.');
    }
    return this.cookie(token, this.config.dashboardSessionMinutes * 60);
  }

  /** Ends the session of the request's cookie, if any; returns the Set-Cookie value that clears it. */
  async signOut(cookieHeader: string | undefined): Promise<string> {
    const token = sessionToken(cookieHeader);
    if (token) await this.tokens.revoke(token);
    return this.cookie('', 0);
  }

  /** Whether the request's cookie carries a live session, and whose. */
  async checkCookie(cookieHeader: string | undefined): Promise<SessionCheck> {
    const token = sessionToken(cookieHeader);
    return token ? this.check(token) : 'none';
  }

  /**
   * A session ends at its token's expiry or a lifetime after its creation, whichever comes first (LEAST skips the
   * NULL expiry of an api token put in the cookie); one past its end is revoked when presented.
   */
  private async check(token: string): Promise<SessionCheck> {
    if (!this.tokens.isWellFormed(token)) return 'none';
    const [row] = await this.dataSource.query(
      `SELECT u.is_staff, u.is_superuser,
              LEAST(t.expires_at, t.created_at + make_interval(mins => $2)) <= now() AS expired
         FROM auth_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND u.is_active`,
      [this.tokens.digest(token), this.config.dashboardSessionMinutes],
    );
    if (row?.expired) await this.tokens.revoke(token);
    if (!row || row.expired) return 'none';
    if (row.is_superuser) return 'superuser';
    return row.is_staff ? 'staff' : 'not-staff';
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    const secure = this.config.debug ? '' : '; Secure';
    return `${SESSION_COOKIE}=${value}; Path=${DASHBOARD_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
  }
}

function isStaffSession(session: SessionCheck): boolean {
  return session === 'superuser' || session === 'staff';
}

function sessionToken(cookieHeader: string | undefined): string | undefined {
  for (const pair of (cookieHeader ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}
