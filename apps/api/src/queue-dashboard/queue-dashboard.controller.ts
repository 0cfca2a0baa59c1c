import { Body, Controller, Get, Header, Headers, HttpCode, Ip, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { Public } from '@evently/auth';

import { LoginDto } from '../users/dto/login.dto';
import { DASHBOARD_PATH, DashboardSessionService } from './dashboard-session.service';
import { LOGIN_PAGE } from './login-page';

/** Login and logout of the queue dashboard (`/api/admin/queues`), which browsers reach with a session cookie. */
@ApiExcludeController()
@Public()
@Controller('admin/queues')
export class QueueDashboardController {
  constructor(private readonly sessions: DashboardSessionService) {}

  @Get('login')
  @Header('Content-Type', 'text/html; charset=utf-8')
  loginPage(): string {
    return LOGIN_PAGE;
  }

  /**
   * A form post (or JSON) with a staff member's username and password; 303 to the dashboard with the cookie. The
   * Location is set once signed in: a `@Header` would go out with a refusal too.
   */
  @Post('login')
  @HttpCode(303)
  async login(@Body() dto: LoginDto, @Ip() ip: string, @Res({ passthrough: true }) reply: FastifyReply) {
    reply
      .header('Set-Cookie', await this.sessions.signIn(dto.username, dto.password, ip))
      .header('Location', `${DASHBOARD_PATH}/`);
  }

  @Post('logout')
  @HttpCode(303)
  async logout(@Headers('cookie') cookie: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    reply.header('Set-Cookie', await this.sessions.signOut(cookie)).header('Location', `${DASHBOARD_PATH}/login`);
  }
}
