import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

import { hasPossibleIds } from './id-params';

/**
 * A path whose id could not exist is 404 before authentication, as Django's URL patterns answer it before any view
 * runs: an anonymous `GET /api/bookings/not-a-uuid/` learns that the path names nothing, not that it should log in.
 * Registered before the token guard; the routes' pipes still convert the ids.
 */
@Injectable()
export class PathIdsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { params } = context.switchToHttp().getRequest<FastifyRequest>();
    if (!hasPossibleIds((params ?? {}) as Record<string, unknown>)) throw new NotFoundException('Not found.');
    return true;
  }
}
