import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';

import {
  BodyBoolean,
  CharFieldText,
  CharLength,
  HasNoNulBytes,
  isPlainDecimal,
  IsZonedInstant,
  TextInteger,
  TextNumber,
} from '@evently/common';

import { INT32 } from '../../common/openapi-types';

export const MAX_CAPACITY = 1_000_000;
export const MAX_PRICE = 99_999_999.99;
export const MAX_DESCRIPTION_LENGTH = 10_000;

/*
 * The validation of each event field, shared by create (required) and update (optional). Optional fields
 * pair these with ValidateIf(value !== undefined), so an explicit null is refused, not written.
 */

/** The common validators are typed for string keys; applyDecorators wants PropertyDecorator. */
const property =
  (decorator: (target: object, propertyName: string) => void): PropertyDecorator =>
  (target, key) =>
    decorator(target, String(key));

/** 1 to 255 characters after trimming, no NUL. */
export const EventTextField = (example: string, required: boolean) =>
  applyDecorators(
    ApiProperty({ example, minLength: 1, maxLength: 255, required }),
    CharFieldText(),
    IsString(),
    property(CharLength(1, 255)),
    property(HasNoNulBytes()),
  );

export const EventTimeField = (required: boolean) =>
  applyDecorators(
    ApiProperty({
      format: 'date-time',
      example: '2030-06-15T09:00:00Z',
      description:
        'ISO 8601 with a zone (Z, ±HH, ±HHMM or ±HH:MM), as Django reads it (T or a space, a fraction after . or ,); ' +
        "must lie in the future, unless an update sends back the event's own time",
      required,
    }),
    property(IsZonedInstant()),
  );

export const EventCapacityField = (required: boolean) =>
  applyDecorators(
    ApiProperty({ ...INT32, example: 500, minimum: 1, maximum: MAX_CAPACITY, required }),
    TextInteger(),
    IsInt(),
    Min(1),
    Max(MAX_CAPACITY),
  );

export const EventDescriptionField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      nullable: true,
      type: String,
      example: 'Annual technology conference',
      maxLength: MAX_DESCRIPTION_LENGTH,
    }),
    CharFieldText(),
    IsString(),
    property(CharLength(0, MAX_DESCRIPTION_LENGTH)),
    property(HasNoNulBytes()),
  );

const PRICE_DECIMALS = 2;

/** A JSON number (or a decimal string, as the original accepted) of whole cents from 0 to 99,999,999.99. */
export const EventPriceField = (required: boolean) =>
  applyDecorators(
    ApiProperty({ example: 150.0, minimum: 0, maximum: MAX_PRICE, description: 'At most 2 decimals', required }),
    TextNumber(PRICE_DECIMALS),
    ValidateBy({
      name: 'isPrice',
      validator: {
        validate: (value: unknown) => priceError(value) === undefined,
        defaultMessage: (args) => priceError(args?.value) ?? '',
      },
    }),
  );

const TOO_MANY_DECIMALS = 'price_per_ticket must have at most 2 decimal places';

/** Why a price is refused, in one message, as DRF gives one; undefined when it is a price. */
function priceError(value: unknown): string | undefined {
  // The only decimal text left here had more decimals than a number could tell apart from whole cents.
  if (typeof value === 'string' && isPlainDecimal(value)) return TOO_MANY_DECIMALS;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return 'price_per_ticket must be a number conforming to the specified constraints';
  }
  if (value < 0) return 'price_per_ticket must not be less than 0';
  if (value > MAX_PRICE) return `price_per_ticket must not be greater than ${MAX_PRICE}`;
  if (Math.round(value * 10 ** PRICE_DECIMALS) / 10 ** PRICE_DECIMALS !== value) return TOO_MANY_DECIMALS;
  return undefined;
}

export const EventActiveField = () =>
  applyDecorators(ApiProperty({ required: false, default: true }), BodyBoolean(), IsBoolean());

/** Without the create's default: a client generated with one would re-activate every event it updates. */
export const EventActiveChangeField = () =>
  applyDecorators(ApiProperty({ required: false, description: 'Left out: unchanged' }), BodyBoolean(), IsBoolean());
