import { pageRequest, toPage, toPageJson } from './pagination';

describe('pagination', () => {
  const unused = () => Promise.reject(new Error('counted for a page by number'));

  it('defaults to page 1 of 10 and clamps page_size to 100', async () => {
    expect(await pageRequest({}, unused)).toEqual({ page: 1, pageSize: 10 });
    expect(await pageRequest({ page: 3, page_size: 1000 }, unused)).toEqual({ page: 3, pageSize: 100 });
  });

  it('reads page=last as the last page of the count, page 1 when nothing matches, as DRF does', async () => {
    const counting = (count: number) => () => Promise.resolve(count);
    expect(await pageRequest({ page: 'last', page_size: 10 }, counting(25))).toEqual({ page: 3, pageSize: 10 });
    expect(await pageRequest({ page: 'last', page_size: 10 }, counting(30))).toEqual({ page: 3, pageSize: 10 });
    expect(await pageRequest({ page: 'last' }, counting(0))).toEqual({ page: 1, pageSize: 10 });
  });

  it('links next and previous as absolute URLs of the same query', () => {
    const page = toPage([1], 25, { page: 2, pageSize: 10 }, 'http://h:8000/api/user/events/?venue=x&page=2');
    expect(page.next).toBe('http://h:8000/api/user/events/?venue=x&page=3');
    expect(page.previous).toBe('http://h:8000/api/user/events/?venue=x');
    expect(toPage([], 25, { page: 3, pageSize: 10 }, 'http://h/x?page=3').next).toBeNull();
  });

  it('answers 404 for the page just past the last, even when the count fills its pages exactly', () => {
    const url = 'http://h/x?page=3';
    expect(() => toPage([], 20, { page: 3, pageSize: 10 }, url)).toThrow('Invalid page.');
    expect(() => toPage([], 21, { page: 3, pageSize: 10 }, url)).not.toThrow();
    expect(toPage([], 0, { page: 1, pageSize: 10 }, url)).toMatchObject({ count: 0, next: null, previous: null });
  });

  it('never throws on a URL it cannot parse, linking by the path alone', () => {
    const page = toPage([1], 25, { page: 2, pageSize: 10 }, 'http://localhost:abc/api/user/events/?page=2');
    expect(page.next).toBe('/api/user/events/?page=3');
    expect(page.previous).toBe('/api/user/events/');
  });

  it('adds the links to a page held as JSON text, giving what toPage gives', () => {
    const results = [{ id: 'a', name: 'Jazz, "live"', results: 1 }];
    const url = 'http://h:8000/api/user/events/?search=x&page=2';
    const request = { page: 2, pageSize: 10 };
    const text = toPageJson(JSON.stringify({ count: 25, results }), request, url);
    expect(text).toBe(JSON.stringify(toPage(results, 25, request, url)));
    expect(JSON.parse(toPageJson('{"count":0,"results":[]}', { page: 1, pageSize: 10 }, url))).toEqual({
      count: 0,
      next: null,
      previous: null,
      results: [],
    });
  });
});
