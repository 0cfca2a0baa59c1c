import { isDatabaseGiveUp, isDatabaseUnavailable } from './postgres-errors';

/** TypeORM wraps the driver's error; both shapes carry the SQLSTATE. */
const typeormError = (code: string) => Object.assign(new Error('query failed'), { driverError: { code } });

describe('postgres errors', () => {
  it.each(['57014', '55P03', '40P01', '40001'])('%s (timeouts, deadlock, serialization) is a give-up', (code) => {
    expect(isDatabaseGiveUp(typeormError(code))).toBe(true);
    expect(isDatabaseGiveUp({ code })).toBe(true);
  });

  it.each(['23505', '23503', '23514', '42P01'])('%s is not', (code) => {
    expect(isDatabaseGiveUp(typeormError(code))).toBe(false);
  });

  it('tells a refused or dropped connection from a failed statement', () => {
    expect(
      isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isDatabaseUnavailable(typeormError('57P01'))).toBe(true);
    expect(isDatabaseUnavailable(typeormError('23505'))).toBe(false);
  });

  // Each a 503 the client may retry, not a 500: a server shutting down, starting up or full, a connection lost.
  it.each(['57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004'])(
    '%s (the server going away, starting, or out of connections) makes the database unavailable',
    (code) => {
      expect(isDatabaseUnavailable(typeormError(code))).toBe(true);
      expect(isDatabaseUnavailable({ code })).toBe(true);
    },
  );

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])(
    '%s (a socket refused, reset, timed out, broken, or a host not found) makes it unavailable',
    (code) => {
      expect(isDatabaseUnavailable(Object.assign(new Error(`connect ${code}`), { code }))).toBe(true);
    },
  );

  it.each([
    'Connection terminated unexpectedly',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
  ])('"%s" (a dropped connection or a pool that gave up, with no code) makes it unavailable', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
    expect(isDatabaseUnavailable(new Error('relation "events" does not exist'))).toBe(false);
  });
});
