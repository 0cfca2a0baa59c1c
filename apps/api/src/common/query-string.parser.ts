import { parse } from 'node:querystring';

/**
 * Parses a query string, leaving out the parameters sent empty (`?min_price=&ordering=`): a form sends its unfilled
 * fields so, and the original API (Django) read them as not given.
 */
export function parseQueryWithoutEmpty(text: string): Record<string, string | string[]> {
  const query = parse(text) as Record<string, string | string[]>;
  for (const [name, value] of Object.entries(query)) {
    if (value === '') delete query[name];
  }
  return query;
}
