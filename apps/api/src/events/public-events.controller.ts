import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

import { Public } from '@evently/auth';
import { pageRequest, toPage } from '@evently/common';
import { EventCatalog } from '@evently/events';

import { ApiErrors } from '../common/api-errors.decorator';
import { UuidParam } from '../common/id-params';
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
  @ApiErrors(400)
  async list(@Query() query: PublicEventsQueryDto, @RequestUrl() url: string): Promise<PublicEventPageDto> {
    const page = pageRequest(query);
    const { records, count } = await this.catalog.list(toPublicEventFilter(query), page);
    return toPage(records.map(mapPublicEvent), count, page, url);
  }

  /** 404 for unknown, inactive or deleted events. */
  @Get(':id')
  @ApiErrors(404)
  async details(@Param('id', UuidParam) id: string): Promise<PublicEventDto> {
    return mapPublicEvent(await this.catalog.details(id));
  }
}
