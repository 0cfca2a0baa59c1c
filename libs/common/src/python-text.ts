/**
 * Python's whitespace (`str.isspace`), which its regular expressions' `\s`, `str.strip()`, `int()` and `Decimal()`
 * use: JavaScript's `\s` without U+FEFF, with U+001C–U+001F and U+0085. For use inside a character class.
 */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const ONE_PY_SPACE = new RegExp(`^[${PY_SPACE}]$`);

/**
 * Python's `str.strip()`, as DRF trims what a client sends: JavaScript's `trim()` strips another set. A scan from
 * each end, not a regular expression: `/[…]+$/` retries from every space of an inner run, so a megabyte-long field
 * of spaces between two letters would hold the event loop for hours.
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && ONE_PY_SPACE.test(text[start])) start++;
  while (end > start && ONE_PY_SPACE.test(text[end - 1])) end--;
  return text.slice(start, end);
}
