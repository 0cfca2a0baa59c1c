import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';

import { StaffOnly } from '@evently/auth';

import { ApiErrors, NOT_STAFF } from '../common/api-errors.decorator';
import { ApiUuidParam, UuidParam } from '../common/id-params';
import { AnalyticsService } from './analytics.service';
import {
  AnalyticsOverviewDto,
  EventAnalyticsDto,
  mapAnalyticsOverview,
  mapEventAnalytics,
} from './dto/analytics-responses.dto';

const COUNTING_RULE =
  'Staff only. A booking counts once it has been confirmed: bookings confirmed now plus those cancelled after ' +
  'confirmation; pending, processing, failed and never-confirmed cancelled bookings do not count. ' +
  'Percentages have one decimal. Cached for 30 minutes and refreshed whenever a booking changes.';

@ApiTags('analytics')
@ApiSecurity('token')
@StaffOnly()
@Controller('admin/analytics')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get()
  @ApiOperation({
    summary: 'Booking totals, the most popular events and the fullest events',
    description:
      `${COUNTING_RULE} Covers events that are not deleted. Utilization = tickets of confirmed bookings / ` +
      'capacity × 100; events without confirmed tickets are left out of that list. Both lists hold at most 10.',
  })
  @ApiErrors(401, NOT_STAFF)
  async overview(): Promise<AnalyticsOverviewDto> {
    return mapAnalyticsOverview(await this.analytics.overview());
  }

  @Get(':event_id')
  @ApiUuidParam('event_id')
  @ApiOperation({
    summary: "One event's bookings, cancellation rate and bookings per day",
    description:
      `${COUNTING_RULE} cancellation_rate = counted bookings cancelled since / counted bookings × 100. ` +
      'daily_bookings groups counted bookings by the UTC day they were made, oldest first, leaving out days ' +
      'without any. Deleted events can still be read here.',
  })
  @ApiErrors(401, NOT_STAFF, 404)
  async forEvent(@Param('event_id', UuidParam) eventId: string): Promise<EventAnalyticsDto> {
    return mapEventAnalytics(await this.analytics.forEvent(eventId.toLowerCase()));
  }
}
