/**
 * Python's whitespace (`str.isspace`), which its regular expressions' `\s`, `str.strip()`, `int()` and `Decimal()`
 * use: JavaScript's `\s` without U+FEFF, with U+001C–U+001F and U+0085. For use inside a character class.
 */
export const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const EDGE_SPACE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's `str.strip()`, as DRF trims what a client sends: JavaScript's `trim()` strips another set. */
export function pythonStrip(text: string): string {
  return text.replace(EDGE_SPACE, '');
}
