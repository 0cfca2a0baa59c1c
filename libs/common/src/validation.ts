import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

const ZONED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** An ISO 8601 instant that names its zone (`Z` or an offset); a bare local time is rejected. */
export function IsZonedInstant(options?: ValidationOptions) {
  return function (target: object, propertyName: string) {
    registerDecorator({
      name: 'isZonedInstant',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an ISO 8601 date-time with a time zone, e.g. 2030-06-15T09:00:00Z`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && ZONED_INSTANT.test(value) && isRealCalendarTime(value),
      },
    });
  };
}

/** Date.parse rolls 2030-02-30 over to 2 March; a real date and time must survive a round trip. */
function isRealCalendarTime(value: string): boolean {
  const [year, month, day, hour, minute, second] = value
    .match(CALENDAR_PARTS)!
    .slice(1)
    .map((part) => Number(part ?? 0));
  const parts = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    !Number.isNaN(Date.parse(value)) &&
    parts.getUTCFullYear() === year &&
    parts.getUTCMonth() === month - 1 &&
    parts.getUTCDate() === day &&
    parts.getUTCHours() === hour &&
    parts.getUTCMinutes() === minute &&
    parts.getUTCSeconds() === second
  );
}

const CALENDAR_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;

/** Rejects NUL bytes, which PostgreSQL text cannot store. */
export function HasNoNulBytes(options?: ValidationOptions) {
  return function (target: object, propertyName: string) {
    registerDecorator({
      name: 'hasNoNulBytes',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must not contain NUL characters`, ...options },
      validator: {
        validate: (value: unknown, _args: ValidationArguments) =>
          typeof value !== 'string' || !value.includes('\u0000'),
      },
    });
  };
}

/**
 * Query-string booleans: `true`/`false` in any case (Django clients send `True`), or 1/0; anything else
 * stays as given and fails `@IsBoolean`.
 */
export const QueryBoolean = () =>
  Transform(({ value }) => {
    const text = typeof value === 'string' ? value.toLowerCase() : value;
    if (text === 'true' || text === '1' || text === true) return true;
    if (text === 'false' || text === '0' || text === false) return false;
    return value;
  });

/** Query-string numbers: a plain decimal becomes a number; anything else stays as given and fails validation. */
export const QueryNumber = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value));
