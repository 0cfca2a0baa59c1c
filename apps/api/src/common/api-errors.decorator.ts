import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

import { ErrorBody } from './error-body';

/**
 * The error statuses a route declares itself. 413, 503 and a public route's 401 hold for every route they can
 * apply to, so setupSwagger adds them to the whole document instead.
 */
export type RouteErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429;

/** A status whose meaning on this route is narrower than the usual one. */
export interface SpecificError {
  status: RouteErrorStatus;
  description: string;
}

const DESCRIPTIONS: Record<RouteErrorStatus, string> = {
  400: 'Invalid input; `details` holds the per-field messages',
  401: 'No token, or an invalid one',
  403: 'Authenticated, but not allowed',
  404: 'Unknown id',
  409: 'The current state forbids it',
  422: 'Idempotency-Key reused with a different body',
  429: 'Rate limited; see Retry-After',
};

export const NOT_STAFF: SpecificError = { status: 403, description: 'Staff only: the caller is not staff' };

/** The public reads of one event hide what the public may not see as if it did not exist. */
export const NOT_LISTED: SpecificError = {
  status: 404,
  description: 'No such event, or one that is inactive or deleted',
};

/** Lists answer 404 for a page past the last, as the original API (DRF) did. */
export const INVALID_PAGE: SpecificError = {
  status: 404,
  description: '`Invalid page.`: `page` is past the last page',
};

/** Documents the `{error, details}` responses a route can give. */
export const ApiErrors = (...errors: (RouteErrorStatus | SpecificError)[]) =>
  applyDecorators(
    ...errors.map((error) => {
      const { status, description } =
        typeof error === 'number' ? { status: error, description: DESCRIPTIONS[error] } : error;
      return ApiResponse({ status, description, type: ErrorBody });
    }),
  );
