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
});
