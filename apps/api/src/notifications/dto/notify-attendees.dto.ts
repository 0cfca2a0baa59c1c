import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

import { CharFieldText, CharLength, HasNoNulBytes } from '@evently/common';

import { INT32 } from '../../common/openapi-types';

export const MAX_NOTICE_LENGTH = 5000;

export class NotifyAttendeesDto {
  /** The text every attendee receives, 1 to 5,000 characters once the whitespace around it is trimmed. */
  @ApiProperty({
    example: 'Event details have been updated. Please check the new information.',
    minLength: 1,
    maxLength: MAX_NOTICE_LENGTH,
  })
  @CharFieldText()
  @IsString()
  @CharLength(1, MAX_NOTICE_LENGTH)
  @HasNoNulBytes()
  message!: string;
}

export class NotifyResponseDto {
  @ApiProperty({ example: 'success' }) status!: 'success';
  @ApiProperty({ example: 'Notification sent to 150 users' }) message!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  /** Distinct users holding a confirmed booking of the event; each gets one email. */
  @ApiProperty({ ...INT32, example: 150 }) users_notified!: number;
}

export function mapNotifyResponse(eventId: string, usersNotified: number): NotifyResponseDto {
  return {
    status: 'success',
    message: `Notification sent to ${usersNotified} users`,
    event_id: eventId.toLowerCase(),
    users_notified: usersNotified,
  };
}
