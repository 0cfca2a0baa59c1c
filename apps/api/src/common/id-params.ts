import { NotFoundException, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { isUUID } from 'class-validator';

import { INT32 } from './openapi-types';

/** A malformed id in a path is an unknown id: 404, as the contract says. */
export const UuidParam: PipeTransform<string, string> = {
  transform(value: string): string {
    if (!isUuid(value)) throw new NotFoundException('Not found.');
    return value;
  },
};

export const MAX_INT_ID = 2_147_483_647;

/** Integer ids (users): digits within PostgreSQL's `integer`, else 404. */
export const IntIdParam: PipeTransform<string, number> = {
  transform(value: string): number {
    if (!isIntId(value)) throw new NotFoundException('Not found.');
    return Number(value);
  },
};

export function isIntId(value: string): boolean {
  const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(id) && id >= 1 && id <= MAX_INT_ID;
}

/** Any version, any case: what {@link UuidParam} takes. */
export function isUuid(value: string): boolean {
  return isUUID(value, 'all');
}

/** The path ids the routes read, by parameter name, as their pipes read them. */
const PATH_ID_CHECKS: Readonly<Record<string, (value: string) => boolean>> = {
  id: isUuid,
  event_id: isUuid,
  user_id: isIntId,
};

/** False when one of a route's path ids could not exist (a malformed UUID, a user id beyond int32). */
export function hasPossibleIds(params: Readonly<Record<string, unknown>>): boolean {
  return Object.entries(params).every(([name, value]) => PATH_ID_CHECKS[name]?.(String(value)) ?? true);
}

/** Documents a path param read with {@link IntIdParam}, which the Swagger plugin would call a `number`. */
export const ApiIntIdParam = (name: string) =>
  ApiParam({ name, schema: { ...INT32, minimum: 1, maximum: MAX_INT_ID } });

/** Documents a path param read with {@link UuidParam}, which the Swagger plugin would call a plain `string`. */
export const ApiUuidParam = (name: string) => ApiParam({ name, schema: { type: 'string', format: 'uuid' } });
