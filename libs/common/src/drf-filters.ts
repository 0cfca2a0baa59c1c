import { registerDecorator, ValidationOptions } from 'class-validator';

import { PY_SPACE, pythonStrip } from './python-text';

/**
 * Django's `smart_split`: runs of non-space, where a single- or double-quoted part (with backslash escapes) may hold
 * spaces. Python's `.` is any character but a newline.
 */
const SMART_SPLIT = new RegExp(
  `(?:[^${PY_SPACE}'"]*(?:(?:"(?:[^"\\\\]|\\\\[^\\n])*"|'(?:[^'\\\\]|\\\\[^\\n])*')[^${PY_SPACE}'"]*)+)|[^${PY_SPACE}]+`,
  'g',
);

/**
 * The terms of a `search` value as DRF 3.15's SearchFilter reads them (`search_smart_split`): split on whitespace
 * and commas, a quoted phrase (`"jazz night"` or `'jazz night'`) kept whole and unquoted. An event matches when
 * every term is in one of the searched fields. A quote without its pair is part of its term; a quoted phrase may be
 * empty (`""`), which matches everything.
 */
export function searchTerms(search: string): string[] {
  const terms: string[] = [];
  for (const [token] of search.matchAll(SMART_SPLIT)) {
    const term = trimCommas(token);
    if ((term.startsWith('"') || term.startsWith("'")) && term.at(-1) === term[0]) {
      terms.push(unescapeStringLiteral(term));
    } else {
      for (const part of term.split(',')) if (part) terms.push(pythonStrip(part));
    }
  }
  return terms;
}

function trimCommas(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === ',') start++;
  while (end > start && text[end - 1] === ',') end--;
  return text.slice(start, end);
}

/** Django's `unescape_string_literal`. */
function unescapeStringLiteral(literal: string): string {
  const quote = literal[0];
  return literal.slice(1, -1).replaceAll(`\\${quote}`, quote).replaceAll('\\\\', '\\');
}

/** A field to order by, `-` first for descending. */
export type Ordering<Field extends string> = Field | `-${Field}`;

/**
 * An `ordering` value as DRF's OrderingFilter reads it: fields separated by commas, ordered by each in turn, each
 * trimmed of whitespace; empty items are skipped (`time,` is `time`, as in DRF, where they are not fields), and a
 * field named again adds nothing (as it would not in SQL), so it is dropped. Undefined when an item is not one of
 * `fields` (with or without its `-`): DRF drops such items silently, this api answers 400 so a typo is seen. An
 * empty list means the view's default order.
 */
export function parseOrdering<Field extends string>(
  ordering: string,
  fields: readonly Field[],
): Ordering<Field>[] | undefined {
  const parsed: Ordering<Field>[] = [];
  const named = new Set<string>();
  for (const item of ordering.split(',')) {
    const term = pythonStrip(item);
    if (term === '') continue;
    const field = term.startsWith('-') ? term.slice(1) : term;
    if (!fields.includes(field as Field)) return undefined;
    if (named.has(field)) continue;
    named.add(field);
    parsed.push(term as Ordering<Field>);
  }
  return parsed;
}

/** A string {@link parseOrdering} takes with these fields. */
export function IsOrdering(fields: readonly string[], options?: ValidationOptions) {
  const choices = fields.flatMap((field) => [field, `-${field}`]).join(', ');
  return function (target: object, propertyName: string) {
    registerDecorator({
      name: 'isOrdering',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be one or more of the following values, separated by commas: ${choices}`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseOrdering(value, fields) !== undefined,
      },
    });
  };
}
