import { validateSync } from 'class-validator';

import { IsOrdering, parseOrdering, searchTerms } from './drf-filters';

describe('searchTerms: the terms DRF 3.15 SearchFilter reads from `search` (expected values from its Python)', () => {
  it.each([
    ['whitespace between terms, repeated or trailing', 'jazz  night ', ['jazz', 'night']],
    ['commas, empty items skipped', ' ,jazz,,night, ', ['jazz', 'night']],
    ['a double-quoted phrase', '"jazz night" live', ['jazz night', 'live']],
    ['commas trimmed around a quoted token', 'live ,"jazz night",', ['live', 'jazz night']],
    ['a comma after a phrase in the same token keeps its quotes', '"jazz night",live', ['"jazz night"', 'live']],
    [
      'Django docstring: escaped quote in a phrase',
      'This is "a person\\\'s" test.',
      ['This', 'is', "a person\\'s", 'test.'],
    ],
    ['Django docstring: single quotes', "Another 'person\\'s' test.", ['Another', "person's", 'test.']],
    ['Django docstring: escaped double quotes', 'A "\\"funky\\" style" test.', ['A', '"funky" style', 'test.']],
    ['an unclosed quote is part of its term', '"of jazz', ['"of', 'jazz']],
    ['quotes inside a token stay', 'x"y z"w', ['x"y z"w']],
    ['an escape never covers a newline', '"a\\\nb" c', ['"a\\', 'b"', 'c']],
    ['an empty phrase is one empty term', '""', ['']],
    ['a lone quote is an empty phrase', '"', ['']],
    ['nothing', '', []],
    ['only separators', ' , \t,', []],
    ["Python's whitespace, which is not JavaScript's", 'a\x1cb\x85c\ufeffd\u3000e', ['a', 'b', 'c\ufeffd', 'e']],
    ['a lone quote among terms is an empty one', "100% a_b ' OR 1=1 --", ['100%', 'a_b', '', 'OR', '1=1', '--']],
  ])('%s', (_case, search, terms) => {
    expect(searchTerms(search)).toEqual(terms);
  });
});

describe('parseOrdering: DRF OrderingFilter fields, each in turn', () => {
  const fields = ['time', 'created_at', 'price_per_ticket'] as const;

  it.each([
    ['one field', 'time', ['time']],
    ['a descending field', '-price_per_ticket', ['-price_per_ticket']],
    ['several, in order', 'price_per_ticket,-time', ['price_per_ticket', '-time']],
    [
      'items trimmed of whitespace, empty ones skipped',
      ' price_per_ticket ,\t-time ,, ',
      ['price_per_ticket', '-time'],
    ],
    ['a field named again adds nothing', '-time,price_per_ticket,time', ['-time', 'price_per_ticket']],
    ['no field: the default applies', ' , ', []],
  ])('%s', (_case, ordering, parsed) => {
    expect(parseOrdering(ordering, fields)).toEqual(parsed);
  });

  it.each(['name', 'time,name', 'time,--time', 'time;-time', '-', 'constructor', 'time,\ufefftime'])(
    'refuses an unknown item: %j',
    (ordering) => {
      expect(parseOrdering(ordering, fields)).toBeUndefined();
    },
  );

  it('validates with a message that lists the choices', () => {
    class Query {
      @IsOrdering(fields)
      ordering!: unknown;
    }
    const errors = (ordering: unknown) => validateSync(Object.assign(new Query(), { ordering }));
    expect(errors('price_per_ticket,-time')).toEqual([]);
    expect(errors(['time'])).toHaveLength(1);
    expect(errors('time,capacity')[0].constraints).toEqual({
      isOrdering:
        'ordering must be one or more of the following values, separated by commas: ' +
        'time, -time, created_at, -created_at, price_per_ticket, -price_per_ticket',
    });
  });
});
