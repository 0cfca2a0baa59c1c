import { passwordProblems } from './password-policy';

describe('passwordProblems', () => {
  it('accepts a long, uncommon password', () => {
    expect(passwordProblems('violet-harbour-lantern', 'john')).toEqual([]);
  });

  it.each([
    ['short', 'too short'],
    ['x'.repeat(129), 'too long'],
    ['Password1234', 'too common'],
    ['aaaaaaaaaaaaaaaa', 'too common'],
    ['\u{1F600}'.repeat(12), 'too common'],
    ['my-name-is-john-doe', 'username'],
  ])('refuses %p (%s)', (password, rule) => {
    expect(passwordProblems(password, 'john_doe'.slice(0, 4)).join(' ')).toContain(rule);
  });

  it.each(['jo', 'J'])('refuses a password containing the username however short it is (%p)', (username) => {
    expect(passwordProblems('violet-JOHN-lantern', username).join(' ')).toContain('username');
  });
});
