import { parse } from 'node:querystring';

/**
 * Parses a query string as the original API (Django) read it: a repeated parameter counts by its last value
 * (`QueryDict.get`), and a parameter sent empty (`?min_price=&ordering=`), as a form sends its unfilled fields, as
 * not given.
 */
export function parseQueryAsDjango(text: string): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(parse(text))) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last) query[name] = last;
  }
  return query;
}
