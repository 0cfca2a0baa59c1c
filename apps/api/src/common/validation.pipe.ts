import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';

import { BadRequestError, BoundedMemo } from '@evently/common';

/** Distinct valid query strings remembered per DTO; past this the oldest are forgotten first. */
const MAX_REMEMBERED_QUERIES = 1000;

/**
 * Validates and transforms bodies and queries against their DTOs. Undeclared fields are dropped (as the
 * original API did), so nobody can set a server-owned field; every failure is a 400 with per-field messages, a
 * required field that was not sent saying so alone, as DRF's `This field is required.`.
 * A query that passed is remembered: the same query (a popular list, read thousands of times a second)
 * skips class-validator, whose answer depends on nothing but the query.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  private readonly validQueries = new WeakMap<object, BoundedMemo<string, object>>();

  constructor() {
    super({
      whitelist: true,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => new BadRequestError('Validation failed.', flattenErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype) {
      // No body at all is DRF's empty `request.data`: each required field says it is missing.
      if (value === undefined) return super.transform({}, metadata);
      if (!isPlainObject(value)) throw new BadRequestError('Request body must be a JSON object.');
    }
    if (metadata.type !== 'query' || metadata.data !== undefined || !metadata.metatype) {
      return super.transform(value, metadata);
    }
    return this.transformQuery(value as object, metadata);
  }

  private async transformQuery(query: object, metadata: ArgumentMetadata): Promise<object> {
    const dto = metadata.metatype as object;
    let remembered = this.validQueries.get(dto);
    if (!remembered) this.validQueries.set(dto, (remembered = new BoundedMemo(MAX_REMEMBERED_QUERIES)));
    const key = JSON.stringify(query);
    const known = remembered.get(key);
    if (known) return copyOf(known);
    const valid = (await super.transform(query, metadata)) as object;
    remembered.set(key, copyOf(valid));
    return valid;
  }
}

/** Each request gets its own instance, so none sees what another did to its query. */
function copyOf<T extends object>(dto: T): T {
  return Object.assign(Object.create(Object.getPrototypeOf(dto) as object) as T, dto);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** DRF's words for a required field that was not sent, in place of every rule its absence broke. */
const REQUIRED = 'This field is required.';

function flattenErrors(errors: ValidationError[], parent = ''): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) fields[path] = error.value === undefined ? [REQUIRED] : Object.values(error.constraints);
    Object.assign(fields, flattenErrors(error.children ?? [], path));
  }
  return fields;
}
