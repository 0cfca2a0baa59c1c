import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

import { ErrorBody } from './error-body';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `details` holds the per-field messages',
  401: 'No token, or an invalid one',
  403: 'Authenticated, but not allowed',
  404: 'Unknown id',
  409: 'The current state forbids it',
  413: 'Body larger than 1 MB',
  422: 'Idempotency-Key reused with a different body',
  429: 'Rate limited; see Retry-After',
  503: 'A dependency is down or the api is overloaded; retry after Retry-After seconds',
};

/** Documents the `{error, details}` responses a route can give. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorBody })),
  );
