import { parse, ParsedUrlQuery } from 'node:querystring';

/**
 * Parses a query string as the original API (Django) read it: a repeated parameter counts by its last value
 * (`QueryDict.get`), and a parameter sent empty (`?min_price=&ordering=`), as a form sends its unfilled fields, as
 * not given.
 */
export function parseQueryAsDjango(text: string): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  for (const [name, last] of lastValues(parse(text))) {
    if (last) query[name] = last;
  }
  return query;
}

/** Each parameter's last value, as Django's `QueryDict.get` reads a query string or a form body. */
export function lastValues(parsed: ParsedUrlQuery): [string, string][] {
  return Object.entries(parsed).map(([name, value]) => [name, (Array.isArray(value) ? value.at(-1) : value) ?? '']);
}
