import { SecondRequestAdmission } from './second-request-admission';

describe('SecondRequestAdmission', () => {
  it('admits a key from its second request on', () => {
    const admission = new SecondRequestAdmission();
    expect(admission.admits('a')).toBe(false);
    expect(admission.admits('b')).toBe(false);
    expect(admission.admits('a')).toBe(true);
    expect(admission.admits('a')).toBe(true);
  });

  it('forgets the least recently asked keys beyond its capacity', () => {
    const admission = new SecondRequestAdmission(2);
    admission.admits('a');
    admission.admits('b');
    admission.admits('a'); // a is now the most recent
    admission.admits('c'); // forgets b
    expect(admission.admits('b')).toBe(false);
    expect(admission.admits('c')).toBe(true);
  });
});
