import { describeError, describeFailure } from './describe-error';

describe('describeError', () => {
  it('names each address a connection to a host name was refused on, where the error itself says nothing', () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const error = Object.assign(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')]), {
      code: 'ECONNREFUSED',
    });
    expect(describeError(error)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });

  it("adds a domain error's details", () => {
    const error = Object.assign(new Error('Invalid input.'), { details: { password: ['too short'] } });
    expect(describeError(error)).toBe('Invalid input. {"password":["too short"]}');
  });

  it('says which variable to set when PostgreSQL asks for a password that is not configured', () => {
    const error = new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string');
    expect(describeError(error)).toBe(
      'PostgreSQL asks for a password and none is set: set DB_PASSWORD, or give one in DATABASE_URL ' +
        '(SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string)',
    );
  });

  it.each([
    ['28P01', 'password authentication failed for user "evently"', 'DB_PASSWORD'],
    ['28000', 'role "nosuchrole" does not exist', 'DB_USER'],
    ['EADDRINUSE', 'listen EADDRINUSE: address already in use 0.0.0.0:8000', 'PORT'],
  ])('names the settings to check for a failure coded %s', (code, message, setting) => {
    const described = describeError(Object.assign(new Error(message), { code }));
    expect(described.startsWith(`${message} (`)).toBe(true);
    expect(described).toContain(setting);
  });

  it('adds the stack to an error of the code itself, and only to such an error', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'port')");
    expect(describeFailure(bug).split('\n')).toEqual([bug.message, ...bug.stack!.split('\n')]);
    const refused = Object.assign(new Error('role "x" does not exist'), { code: '28000' });
    expect(describeFailure(refused)).toBe(describeError(refused));
  });
});
