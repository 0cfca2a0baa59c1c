import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { Public } from '@evently/auth';
import { pageRequest, toPageJson } from '@evently/common';
import { EventCatalog, publicReadVersions } from '@evently/events';

import { ApiErrors, INVALID_PAGE, NOT_LISTED } from '../common/api-errors.decorator';
import { Replayable } from '../common/answer-replay';
import { ApiUuidParam, UuidParam } from '../common/id-params';
import { JsonText } from '../common/json-text.decorator';
import { RequestUrl } from '../common/request-url.decorator';
import { PublicEventsQueryDto, toPublicEventFilter } from './dto/event-queries.dto';
import { mapPublicEvent, PublicEventDto, PublicEventPageDto } from './dto/event-responses.dto';

/** The public catalogue: active events that are not deleted, for anyone. */
@ApiTags('events')
@Public()
@Controller('user/events')
export class PublicEventsController {
  constructor(private readonly catalog: EventCatalog) {}

  /** Upcoming events by default (`upcoming_only=false` shows past ones too), soonest first. */
  @Get()
  @JsonText(PublicEventPageDto)
  @Replayable(publicReadVersions.list)
  @ApiErrors(400, INVALID_PAGE)
  async list(@Query() query: PublicEventsQueryDto, @RequestUrl() url: string): Promise<string> {
    const filter = toPublicEventFilter(query);
    const page = await pageRequest(query, () => this.catalog.count(filter));
    return toPageJson(await this.catalog.list(filter, page, mapPublicEvent), page, url);
  }

  /** 404 for unknown, inactive or deleted events. */
  @Get(':id')
  @ApiUuidParam('id')
  @JsonText(PublicEventDto)
  @Replayable(publicReadVersions.event)
  @ApiErrors(NOT_LISTED)
  details(@Param('id', UuidParam) id: string): Promise<string> {
    return this.catalog.details(id, mapPublicEvent);
  }
}
