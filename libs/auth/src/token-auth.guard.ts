import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

import { ForbiddenError, UnauthorizedError } from '@evently/common';
import { TokensService } from '@evently/users';

import { hasRole, IS_PUBLIC, REQUIRED_ROLE, Role } from './auth.decorators';
import { AuthenticatedRequest } from './authenticated-request';

const SCHEMES = new Set(['token', 'bearer']);

/**
 * The api's global guard: resolves `Authorization: Token|Bearer <token>` to a user,
 * requires one unless the route is @Public(), then checks @StaffOnly()/@SuperuserOnly().
 */
@Injectable()
export class TokenAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) ?? false;
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();

    const token = parseAuthorization(request.headers.authorization);
    if (token === undefined) {
      if (isPublic) return true;
      throw new UnauthorizedError('Authentication credentials were not provided.');
    }
    const user = token ? await this.tokens.authenticate(token) : null;
    if (!user) throw new UnauthorizedError('Invalid token.');
    request.user = user;
    request.token = token;
    if (role && !hasRole(user, role)) {
      throw new ForbiddenError('You do not have permission to perform this action.');
    }
    return true;
  }
}

/** undefined: no credentials sent; '': a malformed header; otherwise the token. */
function parseAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, token, ...rest] = header.trim().split(/\s+/);
  if (!SCHEMES.has(scheme.toLowerCase())) return undefined;
  return token && rest.length === 0 ? token : '';
}
