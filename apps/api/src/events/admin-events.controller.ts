import { Body, Controller, Delete, Get, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';

import { CurrentUser, StaffOnly } from '@evently/auth';
import { pageRequest, toPage } from '@evently/common';
import { User } from '@evently/database';
import { EventQueries, EventsService } from '@evently/events';

import { ApiBodyExample } from '../common/api-body-example.decorator';
import { ApiErrors, INVALID_PAGE, NOT_STAFF, SpecificError } from '../common/api-errors.decorator';
import { ApiUuidParam, UuidParam } from '../common/id-params';
import { RequestUrl } from '../common/request-url.decorator';
import { CreateEventDto, toEventChanges, toNewEvent, UpdateEventDto } from './dto/create-event.dto';
import { AdminEventsQueryDto, toAdminEventFilter } from './dto/event-queries.dto';
import {
  AdminEventDetailsDto,
  AdminEventPageDto,
  CreatedEventDto,
  DeletedEventDto,
  mapAdminEvent,
  mapAdminEventDetails,
  mapCreatedEvent,
} from './dto/event-responses.dto';
import { EventManagerGuard } from './event-manager.guard';

const NOT_ORGANIZER: SpecificError = {
  status: 403,
  description: 'Not staff, or staff who is neither the organizer nor a superuser',
};

/** Event management for staff. Deleted events answer 404 here too. */
@ApiTags('admin-events')
@ApiSecurity('token')
@StaffOnly()
@Controller('admin/events')
export class AdminEventsController {
  constructor(
    private readonly events: EventsService,
    private readonly queries: EventQueries,
  ) {}

  /** Staff only. Creates an event organised by the caller. Times in the past are refused (400). */
  @Post()
  @ApiErrors(400, 401, NOT_STAFF)
  async create(@CurrentUser() user: User, @Body() dto: CreateEventDto): Promise<CreatedEventDto> {
    return mapCreatedEvent(await this.events.create(user, toNewEvent(dto)));
  }

  /** Staff only. Every event that is not deleted, newest first unless `ordering` says otherwise. */
  @Get('list')
  @ApiErrors(400, 401, NOT_STAFF, INVALID_PAGE)
  async list(@Query() query: AdminEventsQueryDto, @RequestUrl() url: string): Promise<AdminEventPageDto> {
    const filter = toAdminEventFilter(query);
    const page = await pageRequest(query, () => this.queries.countAdmin(filter));
    const { records, count } = await this.queries.listAdmin(filter, page);
    return toPage(records.map(mapAdminEvent), count, page, url);
  }

  /** Staff only. Any event that is not deleted, with its bookings and utilization. */
  @Get(':id/details')
  @ApiUuidParam('id')
  @ApiErrors(401, NOT_STAFF, 404)
  async details(@Param('id', UuidParam) id: string): Promise<AdminEventDetailsDto> {
    return mapAdminEventDetails(await this.queries.findAdminDetails(id));
  }

  /**
   * Staff only. Partial update, by the organizer or a superuser (other staff: 403), judged before the body. Lowering
   * the capacity below the tickets already confirmed is a 409; a new time must lie in the future (the event's own time
   * sent back is taken). Answers the event's details.
   */
  @Put(':id')
  @ApiUuidParam('id')
  @UseGuards(EventManagerGuard)
  @ApiBodyExample(
    UpdateEventDto,
    'Only the fields to change',
    { name: 'Updated Tech Conference 2030', capacity: 600 },
    { required: false },
  )
  @ApiErrors(400, 401, NOT_ORGANIZER, 404, 409)
  async update(
    @CurrentUser() user: User,
    @Param('id', UuidParam) id: string,
    @Body() dto: UpdateEventDto,
  ): Promise<AdminEventDetailsDto> {
    return mapAdminEventDetails(await this.events.update(user, id, toEventChanges(dto)));
  }

  /**
   * Staff only. Soft delete, by the organizer or a superuser: the event disappears everywhere, its live bookings
   * are cancelled (seats returned) and their holders are emailed; an event that has already started keeps its
   * bookings and nobody is emailed.
   */
  @Delete(':id/delete')
  @ApiUuidParam('id')
  @ApiErrors(401, NOT_ORGANIZER, 404)
  async remove(@CurrentUser() user: User, @Param('id', UuidParam) id: string): Promise<DeletedEventDto> {
    return { event_id: await this.events.remove(user, id), status: 'deleted' };
  }
}
