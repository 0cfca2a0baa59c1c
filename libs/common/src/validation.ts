import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

import { pythonStrip } from './python-text';

/**
 * What Django's parse_datetime (behind DRF's DateTimeField) reads, less a time without zone: `T` or a space between
 * date and time, optional seconds, a fraction after `.` or `,` of 1 to 6 digits and up to 6 more that are ignored,
 * then `Z`, `±HH`, `±HHMM` or `±HH:MM`. Like Django, 1-digit fields and blanks before the zone pass too.
 */
const ZONED_INSTANT =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/i;

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
        validate: (value: unknown) => typeof value === 'string' && parseZonedInstant(value) !== undefined,
      },
    });
  };
}

/**
 * The instant an @IsZonedInstant string names, read from its parts (Date.parse takes neither a space, a comma, `+05`
 * nor, in every engine, more than 3 fraction digits), to the millisecond: digits beyond are dropped, as times are
 * shown to the second. Undefined when it is no such string, or names no real time (30 February, 24:00, year 0, an
 * offset of a day or more, a UTC year past 9999), which Python's datetime refuses too.
 */
export function parseZonedInstant(value: string): Date | undefined {
  const match = ZONED_INSTANT.exec(value);
  if (!match) return undefined;
  const parts = match.slice(1, 7).map((part) => Number(part ?? 0));
  const [year, month, day, hour, minute, second] = parts;
  const [offsetHours, offsetMinutes] = [Number(match[9] ?? 0), Number(match[10] ?? 0)];
  const local = new Date(0);
  // Unlike Date.UTC, setUTCFullYear takes years 1 to 99 as they are, not as 1901 to 1999.
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, Number((match[7] ?? '').padEnd(3, '0').slice(0, 3)));
  if (!isRealCalendarTime(local, parts) || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const offsetMinutesEast = (match[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  const instant = new Date(local.getTime() - offsetMinutesEast * 60_000);
  return isUtcYearWithinFourDigits(instant) ? instant : undefined;
}

/**
 * An offset can carry 9999-12-31 into year 10000 in UTC, or 0001-01-01 into year 0, which Python's datetime cannot
 * hold (Django fails converting it) and ISO 8601 writes only with a sign and extra digits.
 */
function isUtcYearWithinFourDigits(instant: Date): boolean {
  const year = instant.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/** Dates roll 30 February over to 2 March, and 24:00 to the next day: a real time keeps the parts it was built from. */
function isRealCalendarTime(date: Date, [year, month, day, hour, minute, second]: number[]): boolean {
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

/**
 * Text as DRF's CharField reads it: without the whitespace around it (unless `trim` is false, as for a password), and
 * a JSON number as its text (`42` is "42"); other values, booleans among them, stay as given for `@IsString` to refuse.
 */
export const CharFieldText = ({ trim = true } = {}) =>
  Transform(({ value }) => {
    if (typeof value === 'string') return trim ? pythonStrip(value) : value;
    return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  });

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
 * A string of `min` to `max` characters counted as PostgreSQL counts them (code points). class-validator's
 * length checks leave out variation selectors (U+FE0E, U+FE0F), so text they passed could overflow a `varchar`.
 */
export function CharLength(min: number, max: number, options?: ValidationOptions) {
  return function (target: object, propertyName: string) {
    registerDecorator({
      name: 'charLength',
      target: target.constructor,
      propertyName,
      constraints: [min, max],
      options: { message: charLengthMessage(propertyName, min, max), ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const length = [...value].length;
          return length >= min && length <= max;
        },
      },
    });
  };
}

function charLengthMessage(propertyName: string, min: number, max: number): string {
  if (min === 0) return `${propertyName} must be shorter than or equal to ${max} characters`;
  return `${propertyName} must be ${min} to ${max} characters long`;
}

/** Builds a transform that reads the given words (in any case) as booleans; anything else fails `@IsBoolean`. */
function booleanWords(trueWords: string[], falseWords: string[]) {
  const [truths, falsehoods] = [new Set(trueWords), new Set(falseWords)];
  return () =>
    Transform(({ value }) => {
      if (typeof value === 'boolean') return value;
      const word = typeof value === 'string' || typeof value === 'number' ? String(value).toLowerCase() : '';
      if (truths.has(word)) return true;
      if (falsehoods.has(word)) return false;
      return value;
    });
}

/** Query-string booleans: `true`/`false` in any case (Django clients send `True`), or 1/0. */
export const QueryBoolean = booleanWords(['true', '1'], ['false', '0']);

/**
 * Body booleans as DRF's BooleanField reads them, for form bodies and JSON clients that send `"true"` or 1:
 * `true`/`t`/`yes`/`y`/`on`/`1` and their opposites, in any case.
 */
export const BodyBoolean = booleanWords(['true', 't', 'yes', 'y', 'on', '1'], ['false', 'f', 'no', 'n', 'off', '0']);
