import { applyPublicFilter, escapeLike, orderBy, PublicEventFilter, SqlFilter } from './event-filters';

describe('event filters', () => {
  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_off\\')).toBe('100\\%\\_off\\\\');
    expect(escapeLike("' OR 1=1 --")).toBe("' OR 1=1 --");
  });

  it('orders by a whitelisted column with the id as tie-breaker, in either direction', () => {
    expect(orderBy('time')).toBe('ORDER BY e.time ASC, e.id ASC');
    expect(orderBy('-price_per_ticket')).toBe('ORDER BY e.price_per_ticket DESC, e.id DESC');
    expect(() => orderBy('name; DROP TABLE events' as never)).toThrow();
  });

  it('binds every value as a parameter and turns days into UTC half-open ranges', () => {
    const query: PublicEventFilter = {
      search: "50%' --",
      venue: 'Hall',
      dateFrom: '2031-12-31',
      dateTo: '2031-12-31',
      minPrice: 10.5,
      availableOnly: true,
      upcomingOnly: false,
      ordering: 'time',
    };
    const filter = applyPublicFilter(new SqlFilter(), query);
    expect(filter.sql).not.toContain('50%');
    expect(filter.sql).not.toContain('Hall');
    expect(filter.sql).toContain('e.booked_tickets < e.capacity');
    expect(filter.sql).not.toContain('now()');
    expect(filter.params).toEqual([
      "%50\\%' --%",
      'Hall',
      new Date('2031-12-31T00:00:00Z'),
      new Date('2032-01-01T00:00:00Z'),
      '10.5',
    ]);
  });

  it('leaves out the filters that are not given, but always hides deleted and inactive events', () => {
    const filter = applyPublicFilter(new SqlFilter(), { availableOnly: false, upcomingOnly: true, ordering: 'time' });
    expect(filter.sql).toBe('WHERE e.deleted_at IS NULL AND e.is_active AND e.time > now()');
    expect(filter.params).toEqual([]);
  });
});
