import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';

import { CurrentUser, StaffOnly } from '@evently/auth';
import { User } from '@evently/database';

import { ApiErrors, NOT_STAFF } from '../common/api-errors.decorator';
import { ApiUuidParam, UuidParam } from '../common/id-params';
import { mapNotifyResponse, NotifyAttendeesDto, NotifyResponseDto } from './dto/notify-attendees.dto';
import { NotificationsService } from './notifications.service';

@ApiTags('admin-events')
@ApiSecurity('token')
@StaffOnly()
@Controller('admin/events')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Post(':id/notify')
  @ApiUuidParam('id')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Email a message to everyone holding a confirmed booking of the event',
    description:
      'Staff only. Each distinct user with at least one confirmed booking gets one email, however many ' +
      'bookings they hold; users whose bookings were all cancelled get nothing. Answers at once: the worker ' +
      'sends the emails through the mail queue, with retries. Unknown or deleted events are 404.',
  })
  @ApiErrors(400, 401, NOT_STAFF, 404)
  async notify(
    @CurrentUser() user: User,
    @Param('id', UuidParam) id: string,
    @Body() dto: NotifyAttendeesDto,
  ): Promise<NotifyResponseDto> {
    return mapNotifyResponse(id, await this.notifications.notifyAttendees(user, id, dto.message));
  }
}
