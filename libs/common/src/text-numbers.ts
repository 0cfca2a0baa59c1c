import { Transform } from 'class-transformer';
import { registerDecorator, ValidationOptions } from 'class-validator';

import { MAX_PAGE_SIZE } from './pagination';
import { PY_SPACE, pythonStrip } from './python-text';

/** A number as text spells it: digits, an optional `-` and an optional fraction. */
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;
const DECIMAL_PARTS = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Whether text is a plain decimal (digits, an optional point and more digits, an optional minus), spaces aside. */
export function isPlainDecimal(text: string): boolean {
  return PLAIN_DECIMAL.test(pythonStrip(text));
}

/** PostgreSQL's numeric holds no more digits after the point; a longer fraction would fail the query. */
const MAX_FRACTION_DIGITS = 16_383;

/**
 * A plain decimal's one spelling: no leading zeros before the point, no trailing zeros after it, no `-0`
 * (`007.50` → `7.5`, `-0.00` → `0`), so equal values share a cache entry and different values never do.
 */
export function canonicalDecimal(decimal: string): string {
  const [, sign, whole, fraction = ''] = DECIMAL_PARTS.exec(decimal)!;
  const integer = whole.replace(/^0+(?=\d)/, '');
  let end = fraction.length;
  while (end > 0 && fraction[end - 1] === '0') end--;
  const digits = end > 0 ? `${integer}.${fraction.slice(0, end)}` : integer;
  return sign && digits !== '0' ? `-${digits}` : digits;
}

/**
 * Query-string decimals kept as text, exactly (`25.499999999999999999` is not 25.5), in their canonical spelling;
 * anything else stays as given and fails {@link IsNonNegativeDecimal}.
 */
export const QueryDecimal = () =>
  Transform(({ value }) =>
    typeof value === 'string' && isPlainDecimal(value) ? canonicalDecimal(pythonStrip(value)) : value,
  );

/**
 * A {@link QueryDecimal} of at least 0, refused with the messages (and in the order) that `@IsNumber() @Min(0)`
 * gave when the value was a JavaScript number, including for a value too large for one (over about 1.8e308).
 */
export function IsNonNegativeDecimal(options?: ValidationOptions) {
  return function (target: object, propertyName: string) {
    registerDecorator({
      name: 'min',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must not be less than 0`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && PLAIN_DECIMAL.test(value) && value[0] !== '-',
      },
    });
    registerDecorator({
      name: 'isNumber',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a number conforming to the specified constraints`, ...options },
      validator: { validate: isDecimalWithinRange },
    });
  };
}

function isDecimalWithinRange(value: unknown): boolean {
  if (typeof value !== 'string' || !PLAIN_DECIMAL.test(value) || !Number.isFinite(Number(value))) return false;
  const point = value.indexOf('.');
  return point < 0 || value.length - point - 1 <= MAX_FRACTION_DIGITS;
}

/**
 * `page_size` as a number, with the spaces and `+` sign DRF's `int()` takes: a whole number over
 * {@link MAX_PAGE_SIZE} (however many digits it has) is the maximum, as the contract clamps it; a fraction, even one
 * a double would round to a whole number, is NaN and fails `@IsInt`; anything else stays as given, for `@IsInt` and
 * `@Min(1)` to refuse.
 */
export const QueryPageSize = () =>
  Transform(({ value }) => {
    const text = typeof value === 'string' ? pythonStrip(value).replace(/^\+/, '') : undefined;
    if (text === undefined || !PLAIN_DECIMAL.test(text)) return value;
    const decimal = canonicalDecimal(text);
    const size = Number(decimal);
    if (decimal.includes('.')) return Number.isInteger(size) ? Number.NaN : size;
    return Math.min(size, MAX_PAGE_SIZE);
  });

/**
 * Decimal numbers sent as text (a price in a form body or quoted in JSON, as DRF's DecimalField takes it): a plain
 * decimal of at most `maxFractionDigits` decimals (trailing zeros aside) becomes a number; anything else stays as
 * given and fails validation. Counted on the text, since the number would round `10.009999999999999999` to 10.01.
 */
export const TextNumber = (maxFractionDigits = Infinity) =>
  Transform(({ value }) => {
    if (typeof value !== 'string' || !isPlainDecimal(value)) return value;
    const decimal = canonicalDecimal(pythonStrip(value));
    const [, fraction = ''] = decimal.split('.');
    return fraction.length <= maxFractionDigits ? Number(decimal) : value;
  });

const WHOLE_NUMBER_TEXT = new RegExp(`^[${PY_SPACE}]*([+-]?\\d+)(?:\\.0*)?[${PY_SPACE}]*$`);

/**
 * Whole numbers sent as text, as DRF's IntegerField reads them (query strings, form bodies, JSON clients that quote
 * them): `"2"`, `" 2 "` and `"2.0"` are 2; `"2.5"` and `"1.00000000000000001"` stay text and fail `@IsInt`.
 */
export const TextInteger = () =>
  Transform(({ value }) => {
    const whole = typeof value === 'string' ? WHOLE_NUMBER_TEXT.exec(value) : null;
    return whole ? Number(whole[1]) : value;
  });
