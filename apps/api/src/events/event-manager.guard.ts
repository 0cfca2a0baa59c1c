import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';

import { AuthenticatedRequest } from '@evently/auth';
import { EventsService } from '@evently/events';

/**
 * Lets through the event's organizer or a superuser. A guard runs before the body is validated, so an unknown event
 * is 404 and someone else's 403 whatever the body holds, as DRF finds the object and checks its permissions before
 * its serializer reads the body. The id is a possible one: the global `PathIdsGuard` ran first.
 */
@Injectable()
export class EventManagerGuard implements CanActivate {
  constructor(private readonly events: EventsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { id } = request.params as { id: string };
    await this.events.assertMayManage(request.user!, id.toLowerCase());
    return true;
  }
}
