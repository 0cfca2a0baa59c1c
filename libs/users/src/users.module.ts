import { Module } from '@nestjs/common';

import { AccountsService } from './accounts.service';
import { LoginThrottle } from './login-throttle.service';
import { TokensService } from './tokens.service';
import { UsersService } from './users.service';

@Module({
  providers: [UsersService, TokensService, LoginThrottle, AccountsService],
  exports: [UsersService, TokensService, AccountsService],
})
export class UsersModule {}
