import {
  applyAdminFilter,
  applyPublicFilter,
  escapeLike,
  orderBy,
  PublicEventFilter,
  SqlFilter,
} from './event-filters';

const NO_FILTER: PublicEventFilter = {
  availableOnly: false,
  upcomingOnly: false,
  ordering: ['time'],
};

describe('event filters', () => {
  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_off\\')).toBe('100\\%\\_off\\\\');
    expect(escapeLike("' OR 1=1 --")).toBe("' OR 1=1 --");
  });

  it('orders by a whitelisted column with the id as tie-breaker, in either direction', () => {
    expect(orderBy('time')).toBe('ORDER BY e.time ASC, e.id ASC');
    expect(orderBy(['-price_per_ticket'])).toBe('ORDER BY e.price_per_ticket DESC, e.id DESC');
    expect(() => orderBy('name; DROP TABLE events' as never)).toThrow();
    expect(() => orderBy(['time', 'constructor' as never])).toThrow();
    expect(() => orderBy([])).toThrow();
  });

  it('orders by several columns in turn, the id last, in the direction of the first', () => {
    expect(orderBy(['price_per_ticket', '-time'])).toBe('ORDER BY e.price_per_ticket ASC, e.time DESC, e.id ASC');
    expect(orderBy(['-capacity', 'created_at'])).toBe('ORDER BY e.capacity DESC, e.created_at ASC, e.id DESC');
  });

  it('searches one term with the one condition the trigram index knows, and several with one each', () => {
    const search = (text: string) => applyPublicFilter(new SqlFilter(), { ...NO_FILTER, search: text });
    const one = search('Jazz');
    expect(one.sql).toBe('WHERE e.deleted_at IS NULL AND e.is_active AND e.search_key LIKE upper($1)');
    expect(one.params).toEqual(['%Jazz%']);
    const several = search(' jazz, "late night" jazz ');
    expect(several.sql).toBe(
      'WHERE e.deleted_at IS NULL AND e.is_active AND e.search_key LIKE upper($1) AND e.search_key LIKE upper($2)',
    );
    expect(several.params).toEqual(['%jazz%', '%late night%']);
    expect(search(' , "" ').sql).toBe('WHERE e.deleted_at IS NULL AND e.is_active');
    expect(search('jazz a\u0001b').sql).toBe('WHERE e.deleted_at IS NULL AND e.is_active AND false');
  });

  it('keeps a search of many terms within the 100 arguments format() takes', () => {
    const terms = Array.from({ length: 120 }, (_, n) => `t${n}`);
    const filter = applyPublicFilter(new SqlFilter(), {
      ...NO_FILTER,
      search: terms.join(' '),
    });
    expect(filter.params.length).toBeLessThan(40);
    expect(filter.params.at(-1)).toEqual(terms.slice(32).map((term) => `%${term}%`));
    expect(filter.sql).toContain('LIKE ALL (SELECT upper(term) FROM unnest($33::text[]) AS term)');
  });

  it('searches the admin view term by term, each through the search key and checked field by field', () => {
    const filter = applyAdminFilter(new SqlFilter(), {
      search: 'jazz hall',
      ordering: ['-created_at'],
    });
    expect(filter.sql).toBe(
      'WHERE e.deleted_at IS NULL AND e.search_key LIKE upper($1)' +
        ' AND (upper(e.name) LIKE upper($1) OR upper(e.venue) LIKE upper($1))' +
        ' AND e.search_key LIKE upper($2) AND (upper(e.name) LIKE upper($2) OR upper(e.venue) LIKE upper($2))',
    );
    expect(filter.params).toEqual(['%jazz%', '%hall%']);
  });

  it('binds every value as a parameter and turns days into UTC half-open ranges', () => {
    const query: PublicEventFilter = {
      search: "50%' --",
      venue: 'Hall',
      dateFrom: '2031-12-31',
      dateTo: '2031-12-31',
      minPrice: '10.5',
      availableOnly: true,
      upcomingOnly: false,
      ordering: ['time'],
    };
    const filter = applyPublicFilter(new SqlFilter(), query);
    expect(filter.sql).not.toContain('50%');
    expect(filter.sql).not.toContain('Hall');
    expect(filter.sql).toContain('e.booked_tickets < e.capacity');
    expect(filter.sql).not.toContain('now()');
    expect(filter.params).toEqual([
      "%50\\%'%",
      '%--%',
      'Hall',
      new Date('2031-12-31T00:00:00Z'),
      new Date('2032-01-01T00:00:00Z'),
      '10.5',
    ]);
  });

  it('leaves out the filters that are not given, but always hides deleted and inactive events', () => {
    const filter = applyPublicFilter(new SqlFilter(), {
      ...NO_FILTER,
      upcomingOnly: true,
    });
    expect(filter.sql).toBe('WHERE e.deleted_at IS NULL AND e.is_active AND e.time > now()');
    expect(filter.params).toEqual([]);
  });
});
