import { senderDomain } from './sender-domain';

describe('senderDomain', () => {
  it.each([
    ['noreply@evently.com', 'evently.com'],
    ['Evently <noreply@evently.com>', 'evently.com'],
    ['"Evently @ Home" <tickets@mail.evently.com>', 'mail.evently.com'],
    ['"Evently <Tickets>" <tickets@mail.evently.com>', 'mail.evently.com'],
  ])('reads the domain of %s', (from, domain) => {
    expect(senderDomain(from)).toBe(domain);
  });
});
