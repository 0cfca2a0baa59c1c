import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';

import { CurrentToken, CurrentUser, Public } from '@evently/auth';
import { User } from '@evently/database';
import { AccountsService, INVALID_CREDENTIALS } from '@evently/users';

import { ApiErrors } from '../common/api-errors.decorator';
import { LoginDto } from './dto/login.dto';
import { RegisterDto, toNewUser } from './dto/register.dto';
import {
  LogoutResponseDto,
  mapProfile,
  ProfileDto,
  RegisterResponseDto,
  TokenResponseDto,
} from './dto/user-responses.dto';

@ApiTags('auth')
@Controller('user/auth')
export class AuthController {
  constructor(private readonly accounts: AccountsService) {}

  /** Creates an account and logs it in. */
  @Public()
  @Post('register')
  @ApiErrors(400)
  async register(@Body() dto: RegisterDto): Promise<RegisterResponseDto> {
    const { user, token } = await this.accounts.register(toNewUser(dto));
    return { id: user.id, username: user.username, email: user.email, token };
  }

  /** Exchanges a username and password for a new token. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiErrors(
    {
      status: 400,
      description: `Invalid input (\`details\` per field), or unknown username or wrong password: \`${INVALID_CREDENTIALS}\`, \`details\` null, as the original answered (never 401)`,
    },
    429,
  )
  async login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokenResponseDto> {
    return { token: await this.accounts.login(dto.username, dto.password, ip) };
  }

  /** Deletes the token this request was made with. */
  @Post('logout')
  @HttpCode(200)
  @ApiSecurity('token')
  @ApiErrors(401)
  async logout(@CurrentToken() token: string): Promise<LogoutResponseDto> {
    await this.accounts.logout(token);
    return { status: 'logged_out' };
  }

  /** The caller's profile. */
  @Get('me')
  @ApiSecurity('token')
  @ApiErrors(401)
  me(@CurrentUser() user: User): ProfileDto {
    return mapProfile(user);
  }
}
