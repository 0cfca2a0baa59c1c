import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

import { CharFieldText, IsZonedInstant, parseZonedInstant } from './validation';

class Timed {
  @IsZonedInstant()
  time!: unknown;
}

const accepts = (time: unknown) => {
  const timed = Object.assign(new Timed(), { time });
  return validateSync(timed).length === 0;
};

describe('IsZonedInstant and parseZonedInstant: the times Django parse_datetime reads, with a zone', () => {
  it.each([
    ['9 fraction digits (6 read, the rest ignored)', '2030-06-15T09:00:00.123456789Z', '2030-06-15T09:00:00.123Z'],
    ['7 fraction digits', '2030-06-15T09:00:00.1234567Z', '2030-06-15T09:00:00.123Z'],
    ['12 fraction digits, the most Django reads', '2030-06-15T09:00:00.123456789012Z', '2030-06-15T09:00:00.123Z'],
    ['a space between date and time', '2030-06-15 09:00:00+00:00', '2030-06-15T09:00:00.000Z'],
    ['an offset of whole hours', '2030-06-15T09:00:00+05', '2030-06-15T04:00:00.000Z'],
    ['an offset without colon', '2030-06-15T09:00:00-0230', '2030-06-15T11:30:00.000Z'],
    ['an offset with colon', '2031-01-02T03:04:05.678+01:00', '2031-01-02T02:04:05.678Z'],
    ['a comma before the fraction', '2030-06-15T09:00:00,5Z', '2030-06-15T09:00:00.500Z'],
    ['no seconds', '2030-06-15T09:00Z', '2030-06-15T09:00:00.000Z'],
    ['an offset across midnight and a year', '2030-12-31T23:30:00-01:00', '2031-01-01T00:30:00.000Z'],
    ['29 February of a leap year', '2032-02-29T10:00:00Z', '2032-02-29T10:00:00.000Z'],
    ['lower-case t and z', '2030-06-15t09:00:00z', '2030-06-15T09:00:00.000Z'],
    ['1-digit fields, as Django reads them', '2030-6-5 9:05:07Z', '2030-06-05T09:05:07.000Z'],
    ['blanks before the zone', '2030-06-15 09:00:00 +02:00', '2030-06-15T07:00:00.000Z'],
  ])('accepts %s: %s', (_case, text, instant) => {
    expect(accepts(text)).toBe(true);
    expect(parseZonedInstant(text)?.toISOString()).toBe(instant);
  });

  it('keeps years below 100 as they are, where Date.UTC would read 1900 onwards', () => {
    expect(parseZonedInstant('0099-06-15T09:00:00Z')?.toISOString()).toBe('0099-06-15T09:00:00.000Z');
  });

  it.each([
    ['a time without zone', '2030-06-15T09:00:00'],
    ['a time without zone, with a space', '2030-06-15 09:00:00'],
    ['a date only', '2030-06-15'],
    ['30 February', '2030-02-30T09:00:00Z'],
    ['29 February of a common year', '2031-02-29T10:00:00+02:00'],
    ['hour 24', '2030-06-15T24:00:00Z'],
    ['minute 60', '2030-06-15T09:60:00Z'],
    ['second 60', '2030-06-15T09:00:60Z'],
    ['month 13', '2030-13-01T09:00:00Z'],
    ['day 0', '2030-06-00T09:00:00Z'],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['a time that is year 10000 in UTC', '9999-12-31T23:30:00-01:00'],
    ['a time that is year 0 in UTC', '0001-01-01T00:30:00+01:00'],
    ['an offset of a day', '2030-06-15T09:00:00+24:00'],
    ['offset minutes past 59', '2030-06-15T09:00:00+05:60'],
    ['a 1-digit offset', '2030-06-15T09:00:00+5'],
    ['more than 12 fraction digits', '2030-06-15T09:00:00.1234567890123Z'],
    ['a fraction without seconds', '2030-06-15T09:00.5Z'],
    ['an empty fraction', '2030-06-15T09:00:00.Z'],
    ['another separator', '2030-06-15_09:00:00Z'],
    ['not a string', 1_900_000_000_000],
  ])('rejects %s', (_case, value) => {
    expect(accepts(value)).toBe(false);
    if (typeof value === 'string') expect(parseZonedInstant(value)).toBeUndefined();
  });
});

describe('CharFieldText: text as DRF CharField reads it', () => {
  class Texts {
    @CharFieldText() name?: unknown;
    @CharFieldText({ trim: false }) password?: unknown;
  }
  const read = (plain: Record<string, unknown>) => plainToInstance(Texts, plain);

  it('trims text, and reads a finite JSON number as its text', () => {
    expect(read({ name: '  Jazz night \n', password: 42 })).toEqual({ name: 'Jazz night', password: '42' });
    expect(read({ name: 7.5 }).name).toBe('7.5');
  });

  it('keeps the spaces where told to, and leaves booleans, null, NaN and objects for validation to refuse', () => {
    expect(read({ password: '  spaced  ' }).password).toBe('  spaced  ');
    for (const value of [true, null, Number.NaN, { a: 1 }]) expect(read({ name: value }).name).toEqual(value);
  });
});
