import { BoundedMemo } from './bounded-memo';
import { NotFoundError } from './domain-errors';

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  page: number;
  pageSize: number;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** DRF's name for the last page, whatever its number (`?page=last`). */
export const LAST_PAGE = 'last';

/** Pages past this one are not looked for: no list holds 100 million items, and the OFFSET stays bounded. */
const MAX_PAGE = 1_000_000;

/**
 * Reads `page` and `page_size` the way every list does: page from 1, size defaulting to 10, clamped to 100. A page
 * too far to exist is DRF's 404 for a page past the last, like any other. `page=last` is the last page, as in DRF:
 * its number comes from `countAll` (every match, exactly), which is asked only then; page 1 when nothing matches.
 */
export async function pageRequest(
  query: { page?: number | typeof LAST_PAGE; page_size?: number },
  countAll: () => Promise<number>,
): Promise<PageRequest> {
  const size = query.page_size && query.page_size > 0 ? query.page_size : DEFAULT_PAGE_SIZE;
  const pageSize = Math.min(size, MAX_PAGE_SIZE);
  if (query.page === LAST_PAGE) return { page: Math.max(1, Math.ceil((await countAll()) / pageSize)), pageSize };
  if (query.page !== undefined && query.page > MAX_PAGE) throw new NotFoundError('Invalid page.');
  return { page: query.page && query.page > 0 ? query.page : 1, pageSize };
}

export function pageOffset({ page, pageSize }: PageRequest): number {
  return (page - 1) * pageSize;
}

/**
 * Builds the contract's list body; `next`/`previous` are absolute URLs of the same query. A page past the last is a
 * 404 `Invalid page.`, as DRF answers it (a client may page on until then); the first page is there even when empty.
 */
export function toPage<T>(results: T[], count: number, request: PageRequest, absoluteUrl: string): Page<T> {
  if (request.page > 1 && pageOffset(request) >= count) throw new NotFoundError('Invalid page.');
  const lastPage = Math.max(1, Math.ceil(count / request.pageSize));
  return {
    count,
    next: request.page < lastPage ? withPage(absoluteUrl, request.page + 1) : null,
    previous: request.page > 1 ? withPage(absoluteUrl, Math.min(request.page - 1, lastPage)) : null,
    results,
  };
}

/**
 * {@link toPage} as JSON text, from the text `{"count":N,"results":[…]}` (a cached page): the links are added
 * around the results, which are neither parsed nor serialised again.
 */
export function toPageJson(countAndResults: string, request: PageRequest, absoluteUrl: string): string {
  const count = Number.parseInt(countAndResults.slice(COUNT_FIRST.length), 10);
  const { next, previous } = toPage([], count, request, absoluteUrl);
  const results = countAndResults.slice(countAndResults.indexOf(',"results":') + 1);
  return `{"count":${count},"next":${JSON.stringify(next)},"previous":${JSON.stringify(previous)},${results}`;
}

const COUNT_FIRST = '{"count":';

/**
 * Built links, by page and URL: parsing the URL was a twentieth of a cached list's CPU, and a cached list is
 * asked for by the same few URLs again and again. The oldest of {@link LINKS_KEPT} is forgotten first; URLs longer
 * than {@link MEMO_URL_CHARS} are built every time, so no client can fill the memo with 16 KB URLs.
 */
const LINKS_KEPT = 1000;
const builtLinks = new BoundedMemo<string, string>(LINKS_KEPT);
const MEMO_URL_CHARS = 512;

function withPage(link: string, page: number): string {
  if (link.length > MEMO_URL_CHARS) return buildLink(link, page);
  return builtLinks.remember(`${page} ${link}`, () => buildLink(link, page));
}

function buildLink(link: string, page: number): string {
  // The api's Host check keeps request URLs parseable; should one not be, a link by path beats a 500.
  const url = URL.parse(link) ?? pathOnlyUrl(link);
  if (page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.origin === PATH_ONLY_ORIGIN ? `${url.pathname}${url.search}` : url.toString();
}

const PATH_ONLY_ORIGIN = 'http://path-only.invalid';
const SCHEME_AND_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/** The URL's path and query on a placeholder origin; the pathname and search setters never throw. */
function pathOnlyUrl(link: string): URL {
  const url = new URL(PATH_ONLY_ORIGIN);
  const relative = link.replace(SCHEME_AND_AUTHORITY, '');
  const queryStart = relative.includes('?') ? relative.indexOf('?') : relative.length;
  url.pathname = relative.slice(0, queryStart);
  url.search = relative.slice(queryStart);
  return url;
}
