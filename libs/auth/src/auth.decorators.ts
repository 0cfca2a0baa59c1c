import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

import { User } from '@evently/database';

import { AuthenticatedRequest } from './authenticated-request';

export const IS_PUBLIC = 'evently:public';
export const REQUIRED_ROLE = 'evently:role';
export type Role = 'staff' | 'superuser';

/** Anyone may call this route; a token, when sent, is still checked. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only staff (or superusers) may call this route. */
export const StaffOnly = () => SetMetadata(REQUIRED_ROLE, 'staff' satisfies Role);

/** Only superusers may call this route. */
export const SuperuserOnly = () => SetMetadata(REQUIRED_ROLE, 'superuser' satisfies Role);

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): User => context.switchToHttp().getRequest<AuthenticatedRequest>().user!,
);

/** The raw token of the current request, for logout. */
export const CurrentToken = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().token!,
);

export function hasRole(user: User, role: Role): boolean {
  return role === 'superuser' ? user.isSuperuser : user.isStaff || user.isSuperuser;
}
