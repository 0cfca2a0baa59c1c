import { randomUUID } from 'node:crypto';

import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';

import { DomainError, TooManyRequestsError } from '@evently/common';
import { isDatabaseGiveUp, isDatabaseUnavailable, PG_STRING_TOO_LONG, postgresErrorCode } from '@evently/database';

import { BODY_LIMIT_TEXT, UNSUPPORTED_MEDIA_TYPE } from './body-limits';
import { ErrorBody } from './error-body';
import { hasPossibleIds } from './id-params';
import { otherRoutedMethods } from './routed-methods';

/** Every request the api refuses with 503 (database down, overloaded, shutting down) says when to try again. */
export const RETRY_SHORTLY = { 'retry-after': '1' } as const;

interface RenderedError {
  status: number;
  body: ErrorBody;
  headers?: Readonly<Record<string, string>>;
}

const logger = new Logger('HttpError');

/** A 401 names the scheme to authenticate with, as DRF's TokenAuthentication does. */
const HEADERS_BY_STATUS: Readonly<Record<number, Readonly<Record<string, string>>>> = {
  401: { 'www-authenticate': 'Token' },
  503: RETRY_SHORTLY,
};

/** The api's one exception filter: every error leaves as `{error, details}` with its status, never a stack. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    void send(reply, routingError(http.getRequest<FastifyRequest>(), exception) ?? renderError(exception));
  }
}

/**
 * Renders an error the filter's way where the filter does not reach: Fastify's `frameworkErrors` (the router refuses
 * some URLs before any hook or Nest runs, so the request id is set here), the api's own hooks (the Host check, a
 * closing api's 503) and the queue dashboard's (Bull Board's routes answer errors with a handler of their own).
 */
export function replyToError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return send(reply.header('x-request-id', request.id), renderError(error));
}

function send(reply: FastifyReply, rendered: RenderedError): FastifyReply {
  if (rendered.headers) reply.headers(rendered.headers);
  return reply.status(rendered.status).send(rendered.body);
}

/**
 * A domain refusal as this filter answers it, for a route that stores its answer to replay it (the first response
 * to an `Idempotency-Key`), so that the replay is the very answer the filter gave.
 */
export function renderRefusal(refusal: DomainError): RenderedError {
  return renderError(refusal);
}

/**
 * A request no route took, or one whose path id could not exist (`PUT /api/admin/events/list/` is no event's
 * update: it is the list, which takes GET). A path that exists, asked with a method it does not take, is DRF's 405
 * naming the methods it does take (`Allow`), not a 404 that would tell the client the resource is gone; any other is
 * the same 404 as an unknown id, not the router's `Cannot GET /path`.
 */
function routingError(request: FastifyRequest, exception: unknown): RenderedError | undefined {
  const routed = !request.is404 && hasPossibleIds((request.params ?? {}) as Record<string, unknown>);
  if (routed) return undefined;
  const allowed = otherRoutedMethods(request);
  if (allowed.length > 0) {
    return {
      status: 405,
      body: { error: `Method "${request.method}" not allowed.`, details: null },
      headers: { allow: allowed.join(', ') },
    };
  }
  if (exception instanceof NotFoundException) return { status: 404, body: { error: 'Not found.', details: null } };
  return undefined;
}

function renderError(exception: unknown): RenderedError {
  if (exception instanceof TooManyRequestsError) {
    return {
      status: 429,
      body: { error: exception.message, details: exception.details },
      headers: { 'retry-after': String(exception.retryAfterSeconds) },
    };
  }
  if (exception instanceof DomainError) {
    const body = { error: exception.message, details: exception.details };
    return { status: exception.status, body, headers: HEADERS_BY_STATUS[exception.status] };
  }
  if (exception instanceof HttpException) return renderHttpException(exception);
  const fastifyStatus = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    return renderClientError(fastifyStatus, exception as Error & { code?: string });
  }
  if (isDatabaseUnavailable(exception) || isDatabaseGiveUp(exception)) {
    logger.warn(`database unavailable: ${(exception as Error).message}`);
    return {
      status: 503,
      body: { error: 'Service temporarily unavailable.', details: 'database' },
      headers: RETRY_SHORTLY,
    };
  }
  // Validation counts characters as PostgreSQL does; this is the backstop should a field's check ever fall short.
  if (postgresErrorCode(exception) === PG_STRING_TOO_LONG) {
    logger.warn(`a value too long for its column passed validation: ${(exception as Error).message}`);
    const details = { non_field_errors: ['A value is longer than its field allows.'] };
    return { status: 400, body: { error: 'Validation failed.', details } };
  }
  const errorId = randomUUID();
  logger.error(`unexpected error ${errorId}: ${exception instanceof Error ? exception.stack : String(exception)}`);
  return { status: 500, body: { error: 'Internal server error.', details: { error_id: errorId } } };
}

function renderHttpException(exception: HttpException): RenderedError {
  const status = exception.getStatus();
  // Nest's adapter hands Fastify's own 4xx errors (a parser's, a plugin's) on wrapped, the original as the cause.
  const cause = exception.cause as (Error & { code?: unknown }) | undefined;
  if (typeof cause?.code === 'string') return renderClientError(status, cause as Error & { code: string });
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null && 'error' in response && 'details' in response) {
    return { status, body: response as ErrorBody };
  }
  const message =
    typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? exception.message);
  return { status, body: { error: message, details: detailsFor(status) } };
}

/** Every 413, whether Fastify's parser or Nest's adapter raised it, says what the limit is. */
function detailsFor(status: number): string | null {
  return status === 413 ? `The limit is ${BODY_LIMIT_TEXT}.` : null;
}

const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON in request body.',
};

// The router refuses a path it cannot decode (400) or a segment over 200 characters (414) before any route
// runs; both hold an id that cannot exist, and an unknown id is a 404.
const UNROUTABLE_PATH_CODES = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH']);

function renderClientError(status: number, error: Error & { code?: string }): RenderedError {
  if (UNROUTABLE_PATH_CODES.has(error.code ?? '')) return { status: 404, body: { error: 'Not found.', details: null } };
  const message =
    CLIENT_ERROR_MESSAGES[error.code ?? ''] ??
    (error instanceof SyntaxError ? 'Malformed JSON in request body.' : error.message);
  return { status, body: { error: message, details: detailsFor(status) } };
}
