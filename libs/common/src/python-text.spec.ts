import { plainToInstance } from 'class-transformer';

import { pythonStrip } from './python-text';
import { TextInteger, TextNumber } from './text-numbers';
import { CharFieldText } from './validation';

// Expected values from Python 3: ' \x1c\x85a b\u3000'.strip() == 'a b', '\ufeffa'.strip() == '\ufeffa'.
describe("pythonStrip: Python's str.strip(), as DRF trims what a client sends", () => {
  it.each([
    ['strips ASCII spaces and line breaks', ' \t\r\nJazz night\n ', 'Jazz night'],
    ['strips separators JavaScript does not count as space', '\x1cJazz\x1f\x85', 'Jazz'],
    ['strips wide and no-break spaces', '\u3000\u00a0Jazz\u2029', 'Jazz'],
    ['keeps a byte-order mark', '\ufeffJazz\ufeff', '\ufeffJazz\ufeff'],
    ['keeps spaces inside', 'Jazz  \x85 night', 'Jazz  \x85 night'],
    ['keeps a long inner run whole', `\u3000a${' '.repeat(10_000)}b `, `a${' '.repeat(10_000)}b`],
    ['leaves nothing of spaces alone', ' \t\u3000 ', ''],
    ['leaves an empty text empty', '', ''],
    ['keeps surrogate pairs at the edges', ' \u{1F3B7}Jazz\u{1F3BA} ', '\u{1F3B7}Jazz\u{1F3BA}'],
  ])('%s, as Python', (_case, text, stripped) => {
    expect(pythonStrip(text)).toBe(stripped);
  });
});

describe('text fields and numbers sent as text are trimmed as Python trims them', () => {
  class Body {
    @CharFieldText() name?: unknown;
    @TextInteger() tickets?: unknown;
    @TextNumber(2) price?: unknown;
  }
  const read = (plain: Record<string, unknown>) => plainToInstance(Body, plain);

  it('strips what Python strips', () => {
    expect(read({ name: '\x1eHall\x85', tickets: '\x1c2\x85', price: '\u2028 19.90\x1f' })).toEqual({
      name: 'Hall',
      tickets: 2,
      price: 19.9,
    });
  });

  it('keeps a byte-order mark, so a number led by one stays text for validation to refuse', () => {
    expect(read({ name: '\ufeffHall', tickets: '\ufeff2', price: '\ufeff19.90' })).toEqual({
      name: '\ufeffHall',
      tickets: '\ufeff2',
      price: '\ufeff19.90',
    });
  });
});
