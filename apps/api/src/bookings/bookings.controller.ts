import { Body, Controller, Delete, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import { CurrentUser } from '@evently/auth';
import { BookingsService, MAX_IDEMPOTENCY_KEY_LENGTH } from '@evently/bookings';
import { pageRequest, Page, toPage } from '@evently/common';
import { User } from '@evently/database';

import { ApiBodyExample } from '../common/api-body-example.decorator';
import { ApiErrors, SpecificError } from '../common/api-errors.decorator';
import { ErrorBody } from '../common/error-body';
import { renderRefusal } from '../common/http-exception.filter';
import { ApiIntIdParam, ApiUuidParam, IntIdParam, UuidParam } from '../common/id-params';
import { PaginationQueryDto } from '../common/pagination.dto';
import { RequestUrl } from '../common/request-url.decorator';
import {
  BookingDto,
  BookingHistoryItemDto,
  BookingHistoryPageDto,
  CancelledBookingDto,
  mapBooking,
  mapBookingHistoryItem,
} from './dto/booking-responses.dto';
import { CreateBookingDto, toBookingRequest } from './dto/create-booking.dto';

/** The contract's "not allowed": a booking id is a UUID no one guesses, so its 403 tells a caller nothing new. */
const NOT_YOURS: SpecificError = { status: 403, description: "Another user's booking, and the caller is not staff" };

const INVALID_BOOKING: SpecificError = {
  status: 400,
  description:
    'Invalid input: `details` holds the per-field messages; or `Invalid Idempotency-Key.`, `details` saying why',
};

/** Sent with every replay of an `Idempotency-Key`'s first response, whatever its status. */
const IDEMPOTENT_REPLAYED = {
  'Idempotent-Replayed': {
    description: '`true` when this replays the first response to the same Idempotency-Key and body',
    schema: { type: 'string', enum: ['true'] },
  },
};

@ApiTags('bookings')
@ApiSecurity('token')
@Controller()
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  /**
   * Accepts a booking as `processing` (201); the worker then confirms or fails it, so poll
   * `GET /api/bookings/{id}/`. An `Idempotency-Key` replays the first response for 24 hours, a 404 or 409
   * refusal included.
   */
  @Post('bookings')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1 to 255 characters, scoped to the caller',
    schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
  })
  // Without user_id: the caller's own id is the one that works for everyone.
  @ApiBodyExample(CreateBookingDto, 'For yourself', {
    event_id: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
    number_of_tickets: 2,
  })
  @ApiCreatedResponse({ type: BookingDto, headers: IDEMPOTENT_REPLAYED })
  @ApiErrors(INVALID_BOOKING, 401, 403, 422)
  @ApiResponse({
    status: 404,
    description: 'Unknown event (or booker); replayed for the same Idempotency-Key and body',
    type: ErrorBody,
    headers: IDEMPOTENT_REPLAYED,
  })
  @ApiResponse({
    status: 409,
    description:
      'The event is inactive, deleted, past or has too few tickets left; replayed for the same Idempotency-Key and ' +
      'body. A request sent while another with the same key runs waits for it and replays its answer; rarely, not ' +
      'replayed (retry it): the key expired at that very moment',
    type: ErrorBody,
    headers: IDEMPOTENT_REPLAYED,
  })
  async create(
    @CurrentUser() user: User,
    @Body() dto: CreateBookingDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BookingDto | ErrorBody> {
    const outcome = await this.bookings.create(
      user,
      toBookingRequest(dto, user),
      { accepted: mapBooking, refused: renderRefusal },
      idempotencyKey,
    );
    reply.status(outcome.status);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return outcome.body;
  }

  /** One booking, for its owner or staff. */
  @Get('bookings/:id')
  @ApiUuidParam('id')
  @ApiErrors(401, NOT_YOURS, 404)
  async findOne(@CurrentUser() user: User, @Param('id', UuidParam) id: string): Promise<BookingDto> {
    return mapBooking(await this.bookings.poll(user, id));
  }

  /** Cancels a booking and returns its seats; cancelling twice, or a failed booking, is a 409. */
  @Delete('bookings/:id')
  @ApiUuidParam('id')
  @ApiErrors(401, NOT_YOURS, 404, { status: 409, description: 'The booking is already cancelled or failed' })
  async cancel(@CurrentUser() user: User, @Param('id', UuidParam) id: string): Promise<CancelledBookingDto> {
    const booking = await this.bookings.cancel(user, id);
    return { booking_id: booking.id, status: 'cancelled' };
  }

  /** A user's bookings, newest first: the caller's own, or any user's for staff. */
  @Get('users/:user_id/bookings')
  @ApiIntIdParam('user_id')
  @ApiErrors(
    400,
    401,
    { status: 403, description: "`user_id` is not the caller's own id, and the caller is not staff" },
    {
      status: 404,
      description: '`Invalid page.` (a page past the last), a malformed user_id, or, for staff, an unknown one',
    },
  )
  async history(
    @CurrentUser() user: User,
    @Param('user_id', IntIdParam) userId: number,
    @Query() query: PaginationQueryDto,
    @RequestUrl() url: string,
  ): Promise<BookingHistoryPageDto> {
    const page = await pageRequest(query, () => this.bookings.countForUser(user, userId));
    const [bookings, count] = await this.bookings.listForUser(user, userId, page);
    return toPage(bookings.map(mapBookingHistoryItem), count, page, url) satisfies Page<BookingHistoryItemDto>;
  }
}
