import { oneLine } from './mail-composer.service';

describe('oneLine: names and event text in a mail', () => {
  it.each([
    ['Bob,\n\nYour account is locked: http://evil.example', 'Bob, Your account is locked: http://evil.example'],
    ['Ann\r\nMarie', 'Ann Marie'],
    ['tab\there', 'tab here'],
    ['line\u2028separator\u2029paragraph', 'line separator paragraph'],
    ['  padded\n', 'padded'],
  ])('keeps %p on one line', (text, line) => {
    expect(oneLine(text)).toBe(line);
  });

  it('leaves ordinary text, accents and emoji as they are', () => {
    expect(oneLine('Zoë 🎉 <b>Jazz</b> & Co')).toBe('Zoë 🎉 <b>Jazz</b> & Co');
  });
});
