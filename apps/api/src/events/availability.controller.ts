import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { Public } from '@evently/auth';
import { EventCatalog, publicReadVersions } from '@evently/events';

import { ApiErrors, NOT_LISTED } from '../common/api-errors.decorator';
import { Replayable } from '../common/answer-replay';
import { ApiUuidParam, UuidParam } from '../common/id-params';
import { JsonText } from '../common/json-text.decorator';
import { AvailabilityDto, mapAvailability } from './dto/event-responses.dto';

@ApiTags('events')
@Public()
@Controller('events')
export class AvailabilityController {
  constructor(private readonly catalog: EventCatalog) {}

  /** Tickets left: capacity minus the tickets of confirmed bookings, fresh after every booking settles. */
  @Get(':id/availability')
  @ApiUuidParam('id')
  @JsonText(AvailabilityDto)
  @Replayable(publicReadVersions.event)
  @ApiErrors(NOT_LISTED)
  availability(@Param('id', UuidParam) id: string): Promise<string> {
    return this.catalog.availability(id, mapAvailability);
  }
}
